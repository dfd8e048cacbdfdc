"""The editing endpoints in the OpenAPI document (`bot.adapters.http_actions` serves them):
each body's fields and limits, the jobs they create linked to the operations on them, every
refusal with its body, and the Idempotency-Key their POSTs take."""

from __future__ import annotations

from typing import Any

from bot.adapters.http_openapi import IDEMPOTENCY_HEADER, JOB_LINKS
from bot.adapters.http_routes import JOB_ID
from bot.core.presses import ACTION_NAMES

REGION_INFO = {
    "type": "object",
    "additionalProperties": False,
    "required": ["image", "width", "height", "prompt", "remix"],
    "properties": {
        "image": {"type": "string", "format": "uri"},
        "width": {"type": "integer", "minimum": 1},
        "height": {"type": "integer", "minimum": 1},
        "prompt": {"type": "string"},
        "remix": {"type": "boolean"},
    },
}
# The page sends a random one per submit, and the same one when that submit is sent again.
PAGE_IDEMPOTENCY = {
    **IDEMPOTENCY_HEADER,
    "description": "The same key again gets the first submit's job instead of a new one, "
    "charged once (kept 24 hours, per user of the link).",
}


def describe(document: dict[str, Any]) -> None:
    """Add these endpoints to the OpenAPI document (`bot.adapters.http_openapi`)."""
    job = {"$ref": "#/components/schemas/Job"}
    error = {"$ref": "#/components/responses/Failed"}
    error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/Failed"}}}
    queued = {
        "description": "Queued: the new job, as POST /api/jobs answers",
        "links": JOB_LINKS,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"code": {"const": "1001"}, "msg": {"const": "success"}},
                    "required": ["code", "msg", "data"],
                    "additionalProperties": True,
                    "allOf": [{"properties": {"data": job}}],
                }
            }
        },
    }
    statuses = ("400", "401", "403", "404", "409", "410", "413", "429", "503")
    errors = {status: error for status in statuses}
    document["components"]["schemas"]["Action"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["action"],
        "properties": {
            "action": {"enum": list(ACTION_NAMES)},
            "index": {"type": "integer", "minimum": 1, "maximum": 4, "default": 1},
            "factor": {"type": "number", "minimum": 1.0, "maximum": 2.0},
            "direction": {"enum": ["left", "right", "up", "down"]},
            "mask": {
                "type": "string",
                "contentEncoding": "base64",
                "description": "vary_region: a PNG, white or opaque where to repaint",
            },
            "prompt": {"type": "string", "description": "a new prompt (and parameters)"},
        },
    }
    document["components"]["schemas"]["Blend"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["images"],
        "properties": {
            "images": {
                "type": "array",
                "minItems": 2,
                "maxItems": 5,
                "items": {"type": "string", "format": "uri"},
            },
            "prompt": {"type": "string"},
            "dimensions": {"enum": ["portrait", "square", "landscape"]},
        },
    }

    def body(schema: str) -> dict[str, Any]:
        reference = {"$ref": f"#/components/schemas/{schema}"}
        return {"required": True, "content": {"application/json": {"schema": reference}}}

    job_path = {
        "name": "job_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": f"^{JOB_ID}$"},
    }
    document["paths"]["/api/jobs/{job_id}/actions"] = {
        "parameters": [job_path],
        "post": {
            "operationId": "jobAction",
            "summary": "A new job from this job's image: upscale, variation, vary_subtle, "
            "vary_strong, upscale_4x (with MJ_GAN_UPSCALER), reroll, zoom_out (factor), "
            "pan (direction), make_square, vary_region (mask)",
            "parameters": [IDEMPOTENCY_HEADER],
            "requestBody": body("Action"),
            "responses": {"202": queued, **errors},
        },
    }
    token = {"name": "t", "in": "query", "required": True, "schema": {"type": "string"}}
    refused = {
        "description": "The link expired, was changed, or is for another image",
        "content": error_body,
    }
    missing = {
        "description": "No such page",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
    document["paths"]["/region/{job_id}"] = {
        "parameters": [job_path],
        "get": {
            "operationId": "regionPage",
            "summary": "The Vary (Region) page (HTML) a signed link opens; the page reads the "
            "link's token itself",
            "security": [],
            "parameters": [{**token, "required": False}],
            "responses": {
                "200": {"description": "HTML", "content": {"text/html": {}}},
                "404": missing,
            },
        },
        "post": {
            "operationId": "regionSubmit",
            "summary": "The page's mask (a PNG in base64) and, with Remix, its prompt",
            "security": [],
            "parameters": [token, PAGE_IDEMPOTENCY],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["mask"],
                            "properties": {
                                "mask": {"type": "string", "contentEncoding": "base64"},
                                "prompt": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "202": {
                    "description": "Queued: msg says where the grid arrives",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["code", "msg", "jobId"],
                                "properties": {
                                    "code": {"const": "1001"},
                                    "msg": {"type": "string"},
                                    "jobId": {"type": "string", "pattern": f"^{JOB_ID}$"},
                                },
                            }
                        }
                    },
                },
                "400": error,
                "403": refused,
                "404": missing,
                "409": error,
                "410": error,
                "429": error,
                "503": error,
            },
        },
    }
    document["paths"]["/region/{job_id}/info"] = {
        "parameters": [job_path, token],
        "get": {
            "operationId": "regionInfo",
            "summary": "What the page shows: the image, its size, the prompt, Remix",
            "security": [],
            "responses": {
                "200": {
                    "description": "The image to paint on, its size, the prompt, Remix",
                    "content": {"application/json": {"schema": REGION_INFO}},
                },
                "400": error,
                "403": refused,
                "404": missing,
                "410": error,
            },
        },
    }
    document["paths"]["/api/blend"] = {
        "post": {
            "operationId": "blend",
            "summary": "Mix 2 to 5 images (URLs) into one grid",
            "parameters": [IDEMPOTENCY_HEADER],
            "requestBody": body("Blend"),
            "responses": {"202": queued, **errors},
        }
    }
