"""GET /openapi.json: the API described as OpenAPI 3.1 (kept next to the routes it describes)."""

from __future__ import annotations

from typing import Any

from bot.adapters.http_body import MAX_SIDE

_ERROR = {"$ref": "#/components/responses/Failed"}
_AUTH_ERRORS = {"401": _ERROR, "404": _ERROR}


def success_response(data: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["code", "msg", "data"],
                    "properties": {
                        "code": {"const": "1001"},
                        "msg": {"const": "success"},
                        "data": data,
                    },
                }
            }
        },
    }


_JOB_ID = {
    "name": "job_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[a-z0-9]{1,40}$"},
}
# Per image; null where the image safety check withheld it (a blurred one is its blurred copy).
_IMAGE_URLS = {"type": "array", "items": {"type": ["string", "null"], "format": "uri"}}
_SAFETY = {
    "type": "array",
    "description": "The image safety check's verdict on each image, in order",
    "items": {
        "type": "object",
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
_LORA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "weight": {"type": ["number", "null"], "minimum": -2, "maximum": 2},
    },
}
_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Txt2Img"}}},
}
_TEXTS_OR_NULL = {"type": ["array", "null"], "items": {"type": "string"}}
_SUBMIT_ERRORS = {
    "400": _ERROR,
    "401": _ERROR,
    "403": _ERROR,
    "413": _ERROR,
    "429": _ERROR,
    "503": _ERROR,
}


def openapi(version: str) -> dict[str, Any]:
    job = {"$ref": "#/components/schemas/Job"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mjbot HTTP API",
            "version": version,
            "description": (
                "Draw with the bot from your own apps. Send 'Authorization: Bearer <key>' "
                "(keys come from `mjbot api-key create NAME`). The prompt speaks the /mj "
                "language (--ar, --no, --seed, ... and Chinese). width and height set the "
                "aspect ratio; the model sets the size."
            ),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Failed": {
                    "description": "Refused; msg says why, for a person.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["code", "msg"],
                                "properties": {
                                    "code": {"const": "1002"},
                                    "msg": {"type": "string"},
                                },
                            }
                        }
                    },
                }
            },
            "schemas": {
                "Txt2Img": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["prompt"],
                    "properties": {
                        "prompt": {"type": "string", "minLength": 1},
                        "negativePrompt": {"type": ["string", "null"]},
                        "width": {"type": "integer", "minimum": 1, "maximum": MAX_SIDE},
                        "height": {"type": "integer", "minimum": 1, "maximum": MAX_SIDE},
                        "seed": {"type": "integer", "minimum": 0, "maximum": 2**32 - 1},
                        "steps": {"type": "integer", "minimum": 1, "maximum": 150},
                        "cfg": {"type": "number", "minimum": 0, "maximum": 30},
                        "model": {"type": "string"},
                        "count": {"type": "integer", "minimum": 1, "maximum": 4},
                        "theme": {"type": "string"},
                        "loras": {"type": "array", "maxItems": 4, "items": _LORA},
                        "clipSkip": {"type": "integer", "minimum": 1, "maximum": 4},
                    },
                },
                "Job": {
                    "type": "object",
                    "properties": {
                        "jobId": {"type": "string"},
                        "status": {"enum": ["queued", "running", "done", "failed", "cancelled"]},
                        "position": {"type": ["integer", "null"]},
                        "progress": {"type": ["integer", "null"]},
                        "preview": {"type": ["string", "null"], "format": "uri"},
                        "images": _IMAGE_URLS,
                        "safety": _SAFETY,
                        "grid": {"type": ["string", "null"], "format": "uri"},
                        "seeds": {"type": "array", "items": {"type": "integer"}},
                        "prompts": {
                            **_TEXTS_OR_NULL,
                            "description": "A describe's prompts, each ending in --ar W:H",
                        },
                        "glosses": {
                            **_TEXTS_OR_NULL,
                            "description": "Their Chinese glosses, when asked for",
                        },
                        "aspect": {"type": ["string", "null"], "pattern": "^[0-9]+:[0-9]+$"},
                        "error": {"type": ["string", "null"]},
                        "prompt": {"type": "string"},
                        "translatedPrompt": {"type": "string"},
                        "width": {"type": "integer"},
                        "height": {"type": "integer"},
                        "model": {"type": "string"},
                        "theme": {"type": ["string", "null"]},
                        "style": {"type": ["string", "null"]},
                        "loras": {"type": "array", "items": _LORA},
                        "sampler": {"type": "string"},
                        "seed": {"type": "integer"},
                        "steps": {"type": "integer"},
                        "cfg": {"type": "number"},
                        "clipSkip": {"type": "integer", "minimum": 1, "maximum": 4},
                        "createdAt": {"type": "string"},
                        "finishedAt": {"type": ["string", "null"]},
                    },
                },
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/txt2img": {
                "post": {
                    "summary": "Draw and answer when the images are ready",
                    "requestBody": _BODY,
                    "responses": {
                        "200": success_response(
                            {
                                "type": "object",
                                "properties": {
                                    "images": _IMAGE_URLS,
                                    "safety": _SAFETY,
                                    "jobId": {"type": "string"},
                                    "jobIds": {"type": "array", "items": {"type": "string"}},
                                    "prompt": {"type": "string"},
                                    "translatedPrompt": {"type": "string"},
                                    "seeds": {"type": "array", "items": {"type": "integer"}},
                                },
                            },
                            "The images",
                        ),
                        **_SUBMIT_ERRORS,
                        "409": _ERROR,
                        "500": _ERROR,
                    },
                }
            },
            "/api/jobs": {
                "post": {
                    "summary": "Queue a drawing and answer at once",
                    "requestBody": _BODY,
                    "responses": {"202": success_response(job, "Queued"), **_SUBMIT_ERRORS},
                }
            },
            "/api/jobs/{job_id}": {
                "parameters": [_JOB_ID],
                "get": {
                    "summary": "A job's status, queue position, progress and images",
                    "responses": {"200": success_response(job, "The job"), **_AUTH_ERRORS},
                },
                "delete": {
                    "summary": "Cancel a queued or running job",
                    "responses": {
                        "200": success_response(job, "Cancelled"),
                        "202": success_response(job, "Still stopping"),
                        "409": _ERROR,
                        **_AUTH_ERRORS,
                    },
                },
            },
            "/api/jobs/{job_id}/events": {
                "parameters": [_JOB_ID],
                "get": {
                    "summary": "Server-Sent Events: position, progress (with preview), then "
                    "done, failed or cancelled",
                    "responses": {
                        "200": {
                            "description": "An event stream",
                            "content": {"text/event-stream": {"schema": {"type": "string"}}},
                        },
                        **_AUTH_ERRORS,
                    },
                },
            },
            "/images/{name}": {
                "get": {
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
                        "404": {"description": "No such image"},
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Liveness: 200 while the engine runs, else 503",
                    "security": [],
                    "responses": {"200": {"description": "Up"}, "503": {"description": "Down"}},
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "security": [],
                    "responses": {"200": {"description": "Text exposition format 0.0.4"}},
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.1"}},
                }
            },
        },
    }
