"""Parts of the OpenAPI description: the answers' schemas (a job, txt2img's images, an SSE
event) and the endpoints that need no key.

Exact (no other properties, every nullable field marked), so a client generated from them can
rely on them and schemathesis checks every answer against them.
"""

from __future__ import annotations

from typing import Any

STATUSES = ["queued", "running", "done", "failed", "cancelled"]
EVENTS = ["position", "progress", "done", "failed", "cancelled"]

_MAYBE_URL = {"type": ["string", "null"], "format": "uri"}
# Per image; null where the image safety check withheld it (a blurred one is its blurred copy).
_URLS = {"type": "array", "items": _MAYBE_URL}
_SAFETY = {
    "type": "array",
    "description": "The image safety check's verdict on each image, in order",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["image", "verdict", "score", "action", "released"],
        "properties": {
            "image": {"type": "integer", "minimum": 1, "maximum": 4},
            "verdict": {"enum": ["safe", "flagged", "unchecked"]},
            "score": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "action": {"enum": ["show", "spoiler", "blur", "block"]},
            "released": {"type": "boolean"},
        },
    },
}
_JOB_ID = {"type": "string", "pattern": "^[a-z0-9]{1,40}$"}
_SEEDS = {"type": "array", "items": {"type": ["integer", "null"]}}
_TEXTS = {"type": "array", "items": {"type": "string"}}
_LORA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "weight"],
    "properties": {"name": {"type": "string"}, "weight": {"type": "number"}},
}
_TEXTS_OR_NULL = {"type": ["array", "null"], "items": {"type": "string"}}
ASPECT = {"type": "string", "pattern": "^[0-9]+:[0-9]+$"}


def _exact(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [name for name in properties if name not in optional],
        "properties": properties,
    }


def job_schemas() -> dict[str, Any]:
    job = _exact(
        {
            "jobId": _JOB_ID,
            "status": {"enum": STATUSES},
            "position": {"type": ["integer", "null"], "minimum": 1},
            "progress": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
            "preview": _MAYBE_URL,
            "images": _URLS,
            "safety": _SAFETY,
            "grid": _MAYBE_URL,
            "seeds": _SEEDS,
            "prompts": {
                **_TEXTS_OR_NULL,
                "description": "A describe's prompts, each ending in --ar W:H",
            },
            "glosses": {**_TEXTS_OR_NULL, "description": "Their Chinese glosses, when asked for"},
            "aspect": {**ASPECT, "type": ["string", "null"]},
            "error": {"type": ["string", "null"]},
            "cancelCameLate": {
                "type": "boolean",
                "description": "A cancel was accepted after every step had run: done, charged",
            },
            "prompt": {"type": "string"},
            "translatedPrompt": {"type": "string"},
            "width": {"type": "integer", "minimum": 1},
            "height": {"type": "integer", "minimum": 1},
            "model": {"type": ["string", "null"]},
            "theme": {"type": ["string", "null"]},
            "style": {"type": ["string", "null"]},
            "loras": {"type": "array", "items": _LORA},
            "sampler": {"type": ["string", "null"]},
            "seed": {"type": ["integer", "null"]},
            "steps": {"type": ["integer", "null"]},
            "cfg": {"type": ["number", "null"]},
            "clipSkip": {"type": "integer", "minimum": 1, "maximum": 4},
            "createdAt": {"type": "string", "format": "date-time"},
            "finishedAt": {"type": ["string", "null"], "format": "date-time"},
            "jobIds": {"type": "array", "items": _JOB_ID, "minItems": 1},
        },
        optional=("jobIds",),  # in the answer that created the job: all its --repeat jobs
    )
    images = _exact(
        {
            "images": _URLS,
            "jobId": _JOB_ID,
            "jobIds": {"type": "array", "items": _JOB_ID, "minItems": 1},
            "prompt": {"type": "string"},
            "translatedPrompt": {"type": "string"},
            "seeds": _SEEDS,
            "safety": _SAFETY,
        }
    )
    event_data = {
        "position": _exact({"jobId": _JOB_ID, "position": {"type": "integer", "minimum": 1}}),
        "progress": _exact(
            {
                "jobId": _JOB_ID,
                "percent": {"type": "integer", "minimum": 0, "maximum": 100},
                "preview": _MAYBE_URL,
                "previewFlagged": {"type": "boolean"},  # the safety check: show it hidden
            }
        ),
        "done": _exact(
            {
                "jobId": _JOB_ID,
                "images": _URLS,
                "grid": _MAYBE_URL,
                "safety": _SAFETY,
                "prompts": _TEXTS,  # a describe's
            },
            optional=("prompts",),
        ),
        "failed": _exact({"jobId": _JOB_ID, "error": {"type": "string"}}),
        "cancelled": _exact({"jobId": _JOB_ID}),
    }
    event = {
        "description": "One Server-Sent Event: its name, and its data as JSON",
        "oneOf": [
            _exact(
                {
                    "event": {"const": name},
                    "data": {
                        "type": "string",
                        "contentMediaType": "application/json",
                        "contentSchema": data,
                    },
                    "id": {"type": "string"},
                    "retry": {"type": "integer"},
                },
                optional=("id", "retry"),
            )
            for name, data in event_data.items()
        ],
    }
    return {"Job": job, "Images": images, "JobEvent": event}


def deleted_schema() -> dict[str, Any]:
    """DELETE /api/jobs/{job_id}'s answer: which job, and when its result was deleted."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["jobId", "deletedAt"],
        "properties": {
            "jobId": {"type": "string", "pattern": "^[a-z0-9]{1,40}$"},
            "deletedAt": {"type": "string"},
        },
    }


def public_paths() -> dict[str, Any]:
    """What needs no key: images by their unguessable names, health, metrics, this."""
    text = {"text/plain": {"schema": {"type": "string"}}}
    failed = {"application/json": {"schema": {"$ref": "#/components/schemas/Failed"}}}
    health = {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["status", "queue"],
                "properties": {
                    "status": {"enum": ["ok", "no worker alive", "engine stopped"]},
                    "queue": {"type": "integer", "minimum": 0},
                },
            }
        }
    }
    return {
        "/images/{name}": {
            "get": {
                "operationId": "image",
                "summary": "A stored image or preview, by its unguessable name",
                "security": [],
                "parameters": [
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[0-9a-f]{32}\\.png$"},
                    }
                ],
                "responses": {
                    "200": {"description": "PNG", "content": {"image/png": {}}},
                    "404": {"description": "No such image", "content": text},
                    "410": {"description": "Deleted by its owner (🗑)", "content": failed},
                },
            }
        },
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "Liveness: 200 while the engine runs, else 503",
                "security": [],
                "responses": {
                    "200": {"description": "Up", "content": health},
                    "503": {"description": "Down", "content": health},
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics (text exposition format 0.0.4)",
                "security": [],
                "responses": {"200": {"description": "Metrics", "content": text}},
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }
