"""Style presets for `--style NAME`: a prompt template and extra negative prompt text.

Pure data and one pure function. The parser only checks that a name exists; the core applies
the style when it builds the job, so the request keeps what the user typed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Style:
    """One preset; `positive` holds `{prompt}` where the user's prompt goes."""

    name: str
    positive: str
    negative: str


_PRESETS = [
    Style(
        "photo",
        "professional photograph of {prompt}, 35mm lens, natural light, sharp focus, "
        "highly detailed, realistic",
        "painting, drawing, illustration, cartoon, anime, 3d render, sketch, blurry, deformed",
    ),
    Style(
        "cinematic",
        "cinematic still of {prompt}, shallow depth of field, anamorphic bokeh, film grain, "
        "dramatic lighting, moody color grading, epic composition",
        "cartoon, anime, drawing, painting, flat lighting, text, watermark, deformed",
    ),
    Style(
        "analog-film",
        "analog film photo of {prompt}, faded film, 35mm, grainy, vignette, vintage, "
        "Kodak Portra colors, light leaks",
        "digital, painting, drawing, illustration, cgi, oversaturated, deformed",
    ),
    Style(
        "anime",
        "anime artwork of {prompt}, anime style, key visual, clean cel shading, vibrant colors, "
        "highly detailed",
        "photo, photorealistic, realism, 3d render, black and white, low contrast, deformed",
    ),
    Style(
        "comic",
        "comic book panel of {prompt}, bold ink outlines, halftone shading, vibrant flat "
        "colors, graphic novel art",
        "photo, photorealistic, realism, 3d render, blurry, noisy",
    ),
    Style(
        "watercolor",
        "watercolor painting of {prompt}, soft washes, wet-on-wet bleeding, visible paper "
        "texture, delicate brushwork",
        "photo, photorealistic, 3d render, digital art, hard edges, harsh lines",
    ),
    Style(
        "oil-painting",
        "oil painting of {prompt}, visible brushstrokes, impasto, rich colors, canvas texture, "
        "classical composition",
        "photo, photorealistic, 3d render, anime, cartoon, flat colors",
    ),
    Style(
        "pixel-art",
        "pixel art of {prompt}, 16-bit, low resolution, limited palette, crisp pixels, "
        "retro game sprite",
        "blurry, smooth gradients, photo, realistic, 3d render, anti-aliasing, noisy",
    ),
    Style(
        "line-art",
        "line art drawing of {prompt}, clean black ink lines on white, minimalist, vector "
        "illustration",
        "color, shading, gradients, photo, photorealistic, 3d render, painting, blurry",
    ),
    Style(
        "3d-render",
        "3d render of {prompt}, octane render, volumetric lighting, global illumination, "
        "physically based materials, highly detailed",
        "photo, painting, drawing, sketch, flat, 2d, low poly, blurry, noisy",
    ),
    Style(
        "isometric",
        "isometric view of {prompt}, isometric 3d illustration, clean geometry, orthographic, "
        "soft shadows, vibrant, detailed diorama",
        "perspective distortion, fisheye, blurry, photo, realistic, cluttered",
    ),
    Style(
        "fantasy-art",
        "fantasy art of {prompt}, ethereal, magical atmosphere, epic, painterly, majestic, "
        "book cover art, intricate details",
        "photo, photorealistic, modern, mundane, text, watermark, deformed, ugly",
    ),
    Style(
        "cyberpunk",
        "cyberpunk {prompt}, neon-lit city at night, rain-slicked streets, holograms, "
        "high tech low life, highly detailed",
        "daylight, pastoral, medieval, cartoon, washed out, deformed",
    ),
    Style(
        "neon-punk",
        "neonpunk style {prompt}, vaporwave, glowing neon, magenta highlights, dark purple "
        "shadows, high contrast, sleek, ultramodern",
        "painting, drawing, sketch, muted colors, low contrast, deformed",
    ),
    Style(
        "low-poly",
        "low-poly {prompt}, polygon mesh, flat shaded facets, geometric, minimal, "
        "centered composition",
        "photo, photorealistic, noisy, grainy, highly textured, smooth surfaces",
    ),
    Style(
        "origami",
        "origami {prompt}, folded paper art, crisp creases, pleated paper, paper texture, "
        "studio lighting, centered composition",
        "photo of a real animal, fur, skin, noisy, messy, grainy",
    ),
    Style(
        "digital-art",
        "digital concept art of {prompt}, matte painting, illustrative, painterly, "
        "trending on artstation, highly detailed",
        "photo, photorealistic, low quality, blurry, text, watermark",
    ),
]

STYLES: dict[str, Style] = {style.name: style for style in _PRESETS}


def apply_style(name: str | None, prompt: str, negative: str | None) -> tuple[str, str | None]:
    """Return the styled prompt and the negative prompt (the user's first, then the style's).

    `name` must be a key of STYLES (the parser checked it); an unknown one raises KeyError.
    """
    if name is None:
        return prompt, negative or None
    style = STYLES[name]
    # replace, not str.format: a prompt may contain braces of its own.
    styled = style.positive.replace("{prompt}", prompt)
    parts = [part.strip() for part in (negative or "", style.negative)]
    merged = ", ".join(part for part in parts if part)
    return styled, merged or None
