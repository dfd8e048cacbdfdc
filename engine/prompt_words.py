"""The words /describe's rule set (`engine.prompt_form`) knows: caption frames, media, views,
styles and lighting as captions say them and as prompts say them, and the function words it
drops. Pure data."""

from __future__ import annotations

# Frames that say nothing about the picture, at the start of a caption (longest first).
FILLER = (
    "there is a picture of",
    "there is an image of",
    "this is a picture of",
    "this is an image of",
    "the image shows",
    "the picture shows",
    "this image shows",
    "this is",
    "these are",
    "there is",
    "there are",
    "there's",
    "here is",
    "it is",
    "an image of",
    "a picture of",
    "image of",
    "picture of",
    "a view of",
    "view of",
)
# Medium words as a caption says them -> as a prompt says them.
MEDIA = {
    "photo": "photograph",
    "photograph": "photograph",
    "photography": "photograph",
    "snapshot": "photograph",
    "polaroid": "polaroid photograph",
    "painting": "painting",
    "oil painting": "oil painting",
    "watercolor painting": "watercolor painting",
    "watercolor": "watercolor painting",
    "acrylic painting": "acrylic painting",
    "drawing": "drawing",
    "pencil drawing": "pencil drawing",
    "sketch": "sketch",
    "illustration": "illustration",
    "cartoon": "cartoon",
    "comic": "comic art",
    "digital art": "digital art",
    "3d rendering": "3d render",
    "3d render": "3d render",
    "rendering": "3d render",
    "render": "3d render",
    "pixel art": "pixel art",
    "poster": "poster",
    "print": "print",
    "mosaic": "mosaic",
    "sculpture": "sculpture",
    "statue": "sculpture",
    "stained glass": "stained glass",
    "screenshot": "screenshot",
}
# Views and framings a caption opens with ("a close up of") -> composition words.
VIEWS = {
    "close up": "close-up",
    "close-up": "close-up",
    "closeup": "close-up",
    "aerial view": "aerial view",
    "aerial photo": "aerial view",
    "top view": "top view",
    "side view": "side view",
    "portrait": "portrait",
    "selfie": "selfie",
    "silhouette": "silhouette",
}
# Art styles named anywhere in a caption -> the style words a prompt uses for them.
STYLES = {
    "anime": "anime style",
    "manga": "manga style",
    "cartoon": "cartoon style",
    "cyberpunk": "cyberpunk",
    "steampunk": "steampunk",
    "pixel art": "pixel art",
    "watercolor": "watercolor",
    "low poly": "low poly",
    "art deco": "art deco",
    "art nouveau": "art nouveau",
    "pop art": "pop art",
    "impressionist": "impressionism",
    "surreal": "surrealism",
    "abstract": "abstract art",
    "vaporwave": "vaporwave",
    "ukiyo-e": "ukiyo-e",
    "black and white": "black and white",
    "monochrome": "monochrome",
    "vintage": "vintage",
    "retro": "retro",
    "futuristic": "futuristic",
    "fantasy": "fantasy art",
    "minimalist": "minimalist",
}
# Lighting a caption's words imply -> as a prompt says it. "at X" phrases leave the subject.
LIGHTING = {
    "sunset": "sunset lighting",
    "sunrise": "sunrise lighting",
    "dusk": "dusk",
    "dawn": "dawn light",
    "night": "night",
    "golden hour": "golden hour",
    "neon": "neon lighting",
    "moonlight": "moonlight",
    "moon light": "moonlight",
    "sunlight": "sunlight",
    "sun light": "sunlight",
    "candlelight": "candlelight",
    "candle light": "candlelight",
    "backlit": "backlit",
    "spotlight": "spotlight",
    "dark": "low light",
    "fog": "fog",
    "foggy": "fog",
    "misty": "mist",
}
ARTICLES = frozenset({"a", "an", "the"})
# Words that carry no picture: auxiliaries and the relative pronouns that lead into them.
DROPPED = frozenset({"is", "are", "was", "were", "be", "been", "being", "very", "there"})
RELATIVE = frozenset({"that", "which", "who"})
# Words a caption cut off mid-phrase leaves dangling at its end.
DANGLING = frozenset(
    {"a", "an", "the", "and", "or", "of", "with", "in", "on", "at", "to", "for", "by", "from"}
    | {"near", "under", "over", "into", "onto", "its", "his", "her", "their", "that", "which"}
    | {"who", "while", "as", "is", "are", "next", "front", "top", "some", ","}
)
# Words that cannot open a subject: what a caption's dropped frame leaves in front of it.
LEADING = frozenset(
    {"and", "or", "of", "with", "in", "on", "at", "to", "for", "by", "from", ","}
    | {"that", "which", "who", "while", "as", "'s"}
)
QUANTITY = {"a lot of": "many", "lots of": "many", "a bunch of": "many", "a couple of": "two"}
