"""GET /openapi.json: the API described as OpenAPI 3.1, kept next to the routes it describes.

The description is the contract: it states every constraint the server enforces, with this
server's own numbers (its models and their step limits, its prompt length), so a client
generated from it sends nothing the server refuses for its shape, and schemathesis checks that
(tests/test_schemathesis.py). Two things no schema can state are said in prose: the prompt is
a /mj text (`format: mj-text`), and a banned term is refused. Links lead from the requests
that create jobs to the operations on those jobs, for clients and for stateful testing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.adapters.http_body import MAX_LORAS, MAX_RATIO, MAX_SIDE
from bot.adapters.http_schemas import deleted_schema, job_schemas, public_paths
from bot.core.looks import WEIGHT_RANGE

_FAILED = {"application/json": {"schema": {"$ref": "#/components/schemas/Failed"}}}
_ERRORS = {
    "400": "Bad input: the body, a field or a /mj parameter; msg names what to fix",
    "401": "No API key, or an unknown or revoked one",
    "403": "A banned term in the prompt, or the key's user is blocked",
    "404": "No such job (other keys' jobs do not exist for you)",
    "409": "The job was already finished or cancelled (to delete: not finished yet), or the "
    "Idempotency-Key came before with a different request",
    "410": "Its owner deleted the job's result (DELETE /api/jobs/{job_id})",
    "413": "The body is larger than the server takes",
    "429": "Out of credits for today, or the queue has no room",
    "500": "The job failed while drawing",
    "503": "The drawing engine is not running",
}
_JOB_ID = {
    "name": "job_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[a-z0-9]{1,40}$"},
}
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Send the same key again to get the first request's jobs instead of new "
    "ones, charged once (kept 24 hours, per API key).",
    "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
}
# From an answer that made a job to what can be done with it (jobAction: http_actions_openapi).
JOB_LINKS = {
    name: {"operationId": operation, "parameters": {"job_id": "$response.body#/data/jobId"}}
    for name, operation in (
        ("GetJob", "getJob"),
        ("JobEvents", "jobEvents"),
        ("CancelJob", "cancelJob"),
        ("JobAction", "jobAction"),
    )
}


@dataclass(frozen=True, slots=True)
class ApiLimits:
    """This server's numbers, as the description states them."""

    model_steps: dict[str, int]  # model name -> most steps; the default model first
    max_prompt_chars: int
    themes: tuple[str, ...] = ()  # installed when the server started (GET /api/themes: now)
    loras: tuple[str, ...] = ()


def _errors(*codes: str) -> dict[str, Any]:
    """The refusals an operation may answer, each in the 1002 envelope."""
    answers = {}
    for code in codes:
        answer: dict[str, Any] = {"description": _ERRORS[code], "content": _FAILED}
        if code == "401":
            answer["headers"] = {"WWW-Authenticate": {"schema": {"const": 'Bearer realm="mjbot"'}}}
        answers[code] = answer
    return answers


def success_response(
    data: Any, description: str, links: dict[str, Any] | None = None
) -> dict[str, Any]:
    answer: dict[str, Any] = {
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
    if links:
        answer["links"] = links
    return answer


def _steps_by_model(limits: ApiLimits) -> list[dict[str, Any]]:
    """`steps` bounded by the chosen model (no `model`: the default one)."""
    default = next(iter(limits.model_steps))
    groups: dict[int, list[str]] = {}
    for name, steps in limits.model_steps.items():
        groups.setdefault(steps, []).append(name)
    if len(groups) < 2:
        return []
    rules = []
    for most, names in groups.items():
        if default in names:  # also when `model` is absent or null
            when: dict[str, Any] = {"properties": {"model": {"enum": [*names, None]}}}
        else:
            when = {"required": ["model"], "properties": {"model": {"enum": names}}}
        rules.append({"if": when, "then": {"properties": {"steps": {"maximum": most}}}})
    return rules


def _both_sides() -> list[dict[str, Any]]:
    """`width` and `height` come together: one without the other is refused."""
    return [
        {
            "if": {"required": [one], "properties": {one: {"type": "integer"}}},
            "then": {"required": [other], "properties": {other: {"type": "integer"}}},
        }
        for one, other in (("width", "height"), ("height", "width"))
    ]


def _loras_schema(names: tuple[str, ...]) -> dict[str, Any]:
    """LoRA styles by name (GET /api/loras), each with an optional weight."""
    if not names:
        return {"type": ["array", "null"], "maxItems": 0, "description": "No LoRAs installed"}
    low, high = WEIGHT_RANGE
    lora = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {
            "name": {"enum": list(names)},
            "weight": {"type": ["number", "null"], "minimum": low, "maximum": high},
        },
    }
    return {"type": ["array", "null"], "maxItems": MAX_LORAS, "items": lora}


def txt2img_schema(limits: ApiLimits) -> dict[str, Any]:
    chars = limits.max_prompt_chars
    whole = ["integer", "null"]
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["prompt"],
        "properties": {
            "prompt": {
                "type": "string",
                "format": "mj-text",
                "minLength": 1,
                "maxLength": chars,
                "pattern": "[^\\s,，]",
                "description": "What to draw, in the /mj language: text (Chinese is "
                "translated), then parameters (--ar, --no, --style, --chaos, ...) and "
                "::weights; an image URL at the start is an image prompt. A parameter the "
                "other fields set too, or a banned term, is refused.",
            },
            "negativePrompt": {"type": ["string", "null"], "maxLength": chars},
            "width": {
                "type": whole,
                "minimum": 1,
                "maximum": MAX_SIDE,
                "description": f"With height, the shape (not the size): from 1:{MAX_RATIO} to "
                f"{MAX_RATIO}:1, a longer one is drawn at {MAX_RATIO}:1. The job says the "
                "size it got.",
            },
            "height": {"type": whole, "minimum": 1, "maximum": MAX_SIDE},
            "seed": {"type": whole, "minimum": 0, "maximum": 2**32 - 1},
            "steps": {"type": whole, "minimum": 1, "maximum": max(limits.model_steps.values())},
            "cfg": {"type": ["number", "null"], "minimum": 0, "maximum": 30},
            "model": {"enum": [*limits.model_steps, None]},
            "count": {"type": whole, "minimum": 1, "maximum": 4},
            "theme": {
                "enum": [*limits.themes, None],
                "description": "A theme (GET /api/themes lists those your key may use)",
            },
            "loras": _loras_schema(limits.loras),
            "clipSkip": {"type": whole, "minimum": 1, "maximum": 4},
        },
        "allOf": [*_both_sides(), *_steps_by_model(limits)],
    }


def openapi(version: str, limits: ApiLimits) -> dict[str, Any]:
    job = {"$ref": "#/components/schemas/Job"}
    body = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Txt2Img"}}},
    }
    submit_errors = _errors("400", "401", "403", "409", "413", "429", "503")
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
        "components": _components(limits),
        "security": [{"bearer": []}],
        "paths": {
            "/api/txt2img": {
                "post": {
                    "operationId": "txt2img",
                    "summary": "Draw and answer when the images are ready",
                    "parameters": [IDEMPOTENCY_HEADER],
                    "requestBody": body,
                    "responses": {
                        "200": success_response(
                            {"$ref": "#/components/schemas/Images"}, "The images", JOB_LINKS
                        ),
                        **submit_errors,
                        **_errors("500"),
                    },
                }
            },
            "/api/jobs": {
                "post": {
                    "operationId": "createJob",
                    "summary": "Queue a drawing and answer at once",
                    "parameters": [IDEMPOTENCY_HEADER],
                    "requestBody": body,
                    "responses": {
                        "202": success_response(job, "Queued", JOB_LINKS),
                        **submit_errors,
                    },
                }
            },
            "/api/jobs/{job_id}": {
                "parameters": [_JOB_ID],
                "get": {
                    "operationId": "getJob",
                    "summary": "A job's status, queue position, progress and images",
                    "responses": {
                        "200": success_response(job, "The job"),
                        **_errors("401", "404", "410"),
                    },
                },
                "delete": {
                    "operationId": "deleteJob",
                    "summary": "Delete a finished job's result (🗑): its images and files go, "
                    "the job stays as deleted; again: 410",
                    "responses": {
                        "200": success_response(deleted_schema(), "Deleted"),
                        **_errors("401", "404", "409", "410"),
                    },
                },
            },
            "/api/jobs/{job_id}/cancel": {
                "parameters": [_JOB_ID],
                "post": {
                    "operationId": "cancelJob",
                    "summary": "Cancel a queued or running job (it is kept, as cancelled)",
                    "responses": {
                        "200": success_response(job, "Cancelled"),
                        "202": success_response(job, "Still stopping"),
                        **_errors("401", "404", "409", "410"),
                    },
                },
            },
            "/api/jobs/{job_id}/events": {
                "parameters": [_JOB_ID],
                "get": {
                    "operationId": "jobEvents",
                    "summary": "Server-Sent Events: position, progress (with preview), then "
                    "done, failed or cancelled",
                    "responses": {
                        "200": {
                            "description": "An event stream; each event's data is JSON",
                            "content": {
                                "text/event-stream": {
                                    "schema": {"$ref": "#/components/schemas/JobEvent"}
                                }
                            },
                        },
                        **_errors("401", "404", "410"),
                    },
                },
            },
            **public_paths(),
        },
    }


def _components(limits: ApiLimits) -> dict[str, Any]:
    failed = {
        "type": "object",
        "additionalProperties": False,
        "required": ["code", "msg"],
        "properties": {"code": {"const": "1002"}, "msg": {"type": "string"}},
    }
    return {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        # For operations that list their refusals without saying what each means.
        "responses": {"Failed": {"description": "Refused; msg says why", "content": _FAILED}},
        "schemas": {"Txt2Img": txt2img_schema(limits), "Failed": failed, **job_schemas()},
    }
