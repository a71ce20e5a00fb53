"""The API's OpenAPI 3.1 description, written by hand (served at ``GET /openapi.json``)."""

from .. import __version__

_ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string", "description": "what is wrong"}},
    "required": ["error"],
}


def _error_response(what):
    return {"description": what, "content": {"application/json": {"schema": _ERROR}}}


def openapi_schema(limits):
    """The OpenAPI description, with the server's ``limits`` written into it."""
    prediction = {
        "type": "object",
        "description": "One image's answer, or {\"error\": ...} for an image without a digit.",
        "properties": {
            "digit": {"description": "the predicted class (one of classes)"},
            "probability": {"type": "number", "description": "the digit's probability"},
            "probabilities": {"type": "array", "items": {"type": "number"},
                              "description": "one per class, in the order of classes"},
            "novelty": {"type": ["number", "null"],
                        "description": "how unlike the training digits the image is, in "
                        "[0, 1]: for an uploaded image the larger of network_novelty and "
                        "image_novelty (null: pixel rows to a model without novelty "
                        "statistics)"},
            "network_novelty": {"type": ["number", "null"],
                                "description": "uploaded images: the network's novelty of "
                                "the framed 28x28 digit"},
            "image_novelty": {"type": "number",
                              "description": "uploaded images: the image's own novelty, from "
                              "what framing discards (see skmnist.DigitPipeline)"},
            "novel": {"type": ["boolean", "null"],
                      "description": "novelty above 0.99: does not look like a handwritten "
                      "digit"},
            "image": {"type": "array", "items": {"type": "integer"},
                      "description": "with ?image=true: the 784 grey levels (28x28, row by "
                      "row, ink 255) the model saw"},
            "mixture": {"type": "object",
                        "description": "mixture density networks only: weights, means, scales "
                        "(per component) and the density on the grid x over the classes"},
            "error": {"type": "string"},
        },
    }
    answer = {
        "type": "object",
        "properties": {
            "classes": {"type": "array"},
            "predictions": {"type": "array", "items": prediction},
            "error": {"type": "string", "description": "only when no image holds a digit"},
        },
    }
    images_json = {
        "type": "object",
        "description": "exactly one of images, image and pixels",
        "properties": {
            "images": {"type": "array", "items": {"type": "string", "contentEncoding": "base64"},
                       "maxItems": limits.max_images,
                       "description": "image files (PNG, JPEG...) in base64 or data: URLs"},
            "image": {"type": "string", "contentEncoding": "base64"},
            "pixels": {"type": "array", "maxItems": limits.max_images,
                       "items": {"type": "array", "minItems": 784, "maxItems": 784,
                                 "items": {"type": "number", "minimum": 0, "maximum": 255}},
                       "description": "digits already in MNIST's framing: 784 grey levels per "
                       "row (28x28, row by row), 0 paper, 255 ink; one row alone is accepted"},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "skmnist digit recognition",
            "version": __version__,
            "description": "Reads handwritten digits with a fitted skmnist model. Limits: "
            f"{limits.max_body_bytes:,} bytes per request body, {limits.max_pixels:,} pixels "
            f"per image, {limits.max_images} images per request.",
        },
        "paths": {
            "/predict": {
                "post": {
                    "summary": "Read the digit in each image",
                    "parameters": [{
                        "name": "image", "in": "query", "required": False,
                        "schema": {"type": "boolean"},
                        "description": "add the 28x28 framed image the model saw",
                    }],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {"schema": {
                                "type": "object",
                                "additionalProperties": {"type": "string",
                                                         "contentMediaType": "image/*"},
                                "description": "one image file per file field, any names",
                            }},
                            "application/json": {"schema": images_json},
                            "image/*": {"schema": {"type": "string",
                                                   "contentMediaType": "image/*"}},
                        },
                    },
                    "responses": {
                        "200": {"description": "an answer per image (some may be errors)",
                                "content": {"application/json": {"schema": answer}}},
                        "400": _error_response("bad JSON, not an image, wrong pixel array"),
                        "413": _error_response("body, image or image count over the limits"),
                        "415": _error_response("unsupported Content-Type"),
                        "422": {"description": "no image holds a digit (blank images)",
                                "content": {"application/json": {"schema": answer}}},
                    },
                }
            },
            "/health": {"get": {"summary": "Liveness", "responses": {"200": {
                "description": '{"status": "ok"}'}}}},
            "/model": {"get": {"summary": "The served model: classes, version, steps, "
                               "framing, training information", "responses": {"200": {
                                   "description": "the model's description"}}}},
            "/": {"get": {"summary": "The drawing page (HTML)", "responses": {"200": {
                "description": "the page"}}}},
        },
    }
