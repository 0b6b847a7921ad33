"""Every AWS call each function makes, recorded from the code, kept true in src/photobooth/iam/aws_calls.json.

This module drives every function once with the AWS adapters (``PHOTOBOOTH_BACKEND=aws``): the workflow in moto's
ASL interpreter with the real handlers, every API route, and the paths the four permission defects of issue 17 were
on (a picture finished after the visitor erased, finalize's clean-up of a late upload, ``DELETE /photo``, the seed
pad's ``url`` links of ``POST /photo``). moto serves S3, DynamoDB and Step Functions; Rekognition, the SAM endpoint
and Bedrock get answers made here from the request (the offline face detector's boxes, an oval mask, the photo
itself as the painted picture), since moto has no useful answer for them. Why one dedicated module rather than a
recorder around the whole suite: docs/decisions.md, "Permissions proven by the code's own calls".

``make aws-calls`` (PHOTOBOOTH_RECORD_AWS_CALLS=1) writes the file from this run; otherwise the test fails when the
code makes a call the file does not hold.
"""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody
from PIL import Image, ImageDraw

from photobooth import pipeline, wiring
from photobooth.api import BOOTH_KEY_HEADER
from photobooth.iam.calls import (
    DATA_FILE,
    FUNCTIONS,
    REGENERATE,
    SUBSTITUTION_PREFIX,
    UPLOAD_RULE,
    WORKFLOW,
    Permission,
    dump,
    parse,
)
from photobooth.kiosk import ATTEMPTS_KEY, hash_pin
from photobooth.local import apigw
from photobooth.local.engine import definition_path, lambda_context, load_handler
from photobooth.models import ERASED
from photobooth.pacing import PACE_KEY
from tests.support import portraits
from tests.support.aws_calls import Call, Names, merge, recording, translate

DATA_PATH = Path(__file__).resolve().parents[2] / "src" / "photobooth" / "iam" / DATA_FILE
RECORD = os.environ.get("PHOTOBOOTH_RECORD_AWS_CALLS") == "1"

INPAINT = "us.stability.stable-image-inpaint-v1:0"
# The default fallback (photobooth.config.DEFAULT_MODEL_IDS): text to image, called when the first model cannot serve.
CORE = "stability.stable-image-core-v1:1"
UPSCALE = "us.stability.stable-fast-upscale-v1:0"
SAM_ENDPOINT = "photobooth-sam"
BOOTH_KEY = "booth-key-of-the-recorder"
KIOSK_PIN = "2468"
# Models that answer "not enabled" (the driver makes the first model unavailable once, so the fallback paints).
UNAVAILABLE: set[str] = set()

# Calls the code makes only with some settings (the template check skips them for a stack configured otherwise).
CONFIGURED: dict[tuple[str, str], dict[str, str]] = {
    ("segment", "sagemaker:InvokeEndpoint"): {"PHOTOBOOTH_SEGMENTATION_BACKEND": "sam"},
    ("detect_face", "rekognition:DetectModerationLabels"): {"PHOTOBOOTH_MODERATION_BACKEND": "rekognition"},
    ("generate", "rekognition:DetectModerationLabels"): {
        "PHOTOBOOTH_MODERATION_BACKEND": "rekognition",
        "PHOTOBOOTH_MODERATE_GENERATED_IMAGES": "true",
    },
}
UPSCALING = {"PHOTOBOOTH_UPSCALER": "bedrock"}


# --- answers for the services moto cannot answer usefully ------------------------------------------------------


def _image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def _b64_png(image: Image.Image) -> str:
    out = io.BytesIO()
    image.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode("ascii")


def _faces(params: dict) -> dict:
    from photobooth.offline.faces import BundledFaceDetector

    image = _image(params["Image"]["Bytes"])
    width, height = image.size
    details = [
        {
            "BoundingBox": {
                "Left": f.box.x0 / width,
                "Top": f.box.y0 / height,
                "Width": (f.box.x1 - f.box.x0) / width,
                "Height": (f.box.y1 - f.box.y0) / height,
            },
            "Confidence": 99.0,
        }
        for f in BundledFaceDetector().detect_faces(image)
    ]
    return {"FaceDetails": details}


def _sam_mask(params: dict) -> dict:
    request = json.loads(params["Body"])
    image = _image(base64.b64decode(request["encode_image"]))
    mask = Image.new("L", image.size, 255)  # the endpoint's polarity: people black on white
    ImageDraw.Draw(mask).ellipse(request["input_box"], fill=0)
    return {"Body": _stream(json.dumps({"mask_image": _b64_png(mask)}).encode()), "ContentType": "application/json"}


def _painted(params: dict) -> dict:
    body = json.loads(params["body"])
    source = body.get("image") or body.get("inPaintingParams", {}).get("image")
    if source is None:  # text to image (Stable Image Core): a picture of the asked aspect ratio
        width, height = (int(side) for side in body["aspect_ratio"].split(":"))
        image = Image.new("RGB", (width * 64, height * 64), (40, 60, 120))
    else:
        image = _image(base64.b64decode(source))
    if params["modelId"] == UPSCALE:
        image = image.resize((image.width * 4, image.height * 4))
    answer = {"images": [_b64_png(image)], "finish_reasons": [None], "seeds": [1]}
    return {"body": _stream(json.dumps(answer).encode()), "contentType": "application/json"}


def _stream(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


ANSWERS = {
    ("rekognition", "DetectFaces"): _faces,
    ("rekognition", "DetectLabels"): lambda _: {"Labels": []},
    ("rekognition", "DetectModerationLabels"): lambda _: {"ModerationLabels": []},
    ("sagemaker", "InvokeEndpoint"): _sam_mask,
    ("bedrock", "InvokeModel"): _painted,
}


def answer(call: Call) -> tuple[AWSResponse, dict] | None:
    if call.service == "bedrock" and call.params.get("modelId") in UNAVAILABLE:
        # As botocore's Stubber answers an error: the parsed error with its HTTP status.
        error = {"Code": "AccessDeniedException", "Message": "You don't have access to the model"}
        return AWSResponse("https://example.invalid", 403, {}, None), {
            "Error": error,
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }
    make = ANSWERS.get((call.service, call.operation))
    if make is None:
        return None
    return AWSResponse("https://example.invalid", 200, {}, None), make(dict(call.params))


# --- driving every function --------------------------------------------------------------------------------------


def _handler(name: str, event: dict) -> Any:
    return load_handler(name)(event, lambda_context(f"photobooth-{name}"))


def _with_booth_key(method: str, path: str) -> tuple[int, dict | None]:
    """An API call from a booth pad, which sends the booth key (the status function then reads the secret)."""
    function = apigw.function_for(method, path)
    assert function, (method, path)
    event = apigw.http_event(method, path, headers={BOOTH_KEY_HEADER: BOOTH_KEY})
    response = load_handler(function)(event, lambda_context(f"photobooth-{function}"))
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def _upload(cloud, *, request_id: str | None = None, wall: bool = False) -> dict:
    body: dict[str, Any] = {"type": "photo", "filename": "visitor.jpg", "contentType": "image/jpeg"}
    if wall:
        body["showOnWall"] = True
    if request_id:
        body["requestId"] = request_id
    status, upload = cloud.call_api("POST", "/upload", body)
    assert status == 200, upload
    return upload


def drive_every_function(cloud) -> None:
    s3 = cloud.s3()
    photo = portraits.jpeg_bytes()

    # A booth pad's visitor who agreed to the wall: the whole workflow, then every read route.
    upload = _upload(cloud, wall=True)
    s3.put_object(Bucket=cloud.bucket, Key=upload["Key"], Body=photo, ContentType="image/jpeg")
    record = cloud.wait_for_terminal(upload["requestId"], timeout=240)
    assert record["status"] == "SUCCEEDED", record
    for path in (f"/photo/{upload['requestId']}", "/themes", "/wall/photos"):
        status, answered = cloud.call_api("GET", path)
        assert status == 200, (path, answered)
    assert cloud.call_api("GET", "/wall/photos")[1]["photos"], "the opted-in picture is on the wall"

    # A seed-era pad: POST /upload, PUT, POST /photo starts the workflow (the bucket's events are off meanwhile, so
    # the start is POST /photo's), and once the run ended answers presigned url links of the results (signed by
    # presign).
    seed = _upload(cloud, wall=True)
    s3.put_bucket_notification_configuration(Bucket=cloud.bucket, NotificationConfiguration={})
    s3.put_object(Bucket=cloud.bucket, Key=seed["Key"], Body=photo, ContentType="image/jpeg")
    cloud.local.enable_notifications()
    start = {"requestId": "b123456abc", "bucket": cloud.bucket, "key": seed["Key"]}
    status, started = cloud.call_api("POST", "/photo", {**start, "wait": 0})
    assert status == 202, started
    cloud.wait_for_terminal(seed["requestId"], timeout=240)
    status, finished = cloud.call_api("POST", "/photo", start)
    assert status == 200 and finished["status"] == "SUCCEEDED" and finished["url"], finished
    # The pad reads through its own id (an alias) with the booth key, and is told the execution's ARN: the status
    # function reads the key from Secrets Manager (photobooth.aws.secrets).
    status, read = _with_booth_key("GET", f"/photo/{start['requestId']}")
    assert status == 200 and read and read.get("executionArn"), (status, read)

    # The visitor erases while the workflow still works on the request (its working files made again here):
    # generate removes a picture it finished too late, finalize the wall copies it made and every leftover, and
    # the late upload's clean-up runs.
    request_id = seed["requestId"]
    detection = _handler("detect_face", {"requestId": request_id, "bucket": cloud.bucket, "key": seed["Key"]})
    mask = _handler("segment", {"requestId": request_id, "bucket": cloud.bucket, "detection": detection})
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(cloud.local.table)

    def generate(index: int) -> dict:
        return _handler(
            "generate",
            {
                "requestId": request_id,
                "bucket": cloud.bucket,
                "key": seed["Key"],
                "theme": "cosmos",
                "index": index,
                "inputKey": detection["inputKey"],
                "maskKey": mask["maskKey"],
                "contentWidth": detection["contentWidth"],
                "contentHeight": detection["contentHeight"],
            },
        )

    def erase() -> None:
        table.put_item(Item={"requestId": request_id, "status": ERASED, "expiresAt": 1})

    UNAVAILABLE.add(INPAINT)  # the first model cannot serve: the fallback, text to image, paints
    try:
        image = generate(7)
    finally:
        UNAVAILABLE.clear()
    assert image["status"] == "SUCCEEDED", image
    record = table.get_item(Key={"requestId": request_id}, ConsistentRead=True)["Item"]
    erase()
    generate(8)
    assert not cloud.keys(f"generated/{request_id}/8"), "generate removed a picture made after the erasure"
    table.put_item(Item=record)

    copy_to_wall, copied = pipeline._copy_to_wall, []

    def copy_then_erased(*args: Any, **kwargs: Any) -> list[str]:
        copied.extend(copy_to_wall(*args, **kwargs))
        assert copied, "the request is on the wall"
        erase()  # the visitor erases while finalize works
        return copied

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "_copy_to_wall", copy_then_erased)
        _handler("finalize", {"requestId": request_id, "images": [image]})
    assert not set(copied) & set(cloud.keys("wall/")), "finalize removed the wall copies of an erased request"
    _handler("finalize", {"requestId": request_id, "lateUpload": True})

    # A pad erases a finished request through its own id (an alias, made by its POST /photo), with the booth key;
    # a run that died ends its request, and its visitor erases it.
    alias = {"requestId": "c123456abc", "bucket": cloud.bucket, "key": upload["Key"], "wait": 0}
    status, aliased = cloud.call_api("POST", "/photo", alias)
    assert status == 200 and aliased["requestId"] == upload["requestId"], aliased
    assert _with_booth_key("DELETE", f"/photo/{alias['requestId']}")[0] == 204
    pending = _upload(cloud)
    ended = _handler("execution_ended", _status_change(cloud, pending["Key"]))
    assert ended == {"requestId": pending["requestId"], "failed": True}
    assert cloud.call_api("DELETE", f"/photo/{pending['requestId']}")[0] == 204

    # The operator's kiosk PIN: a wrong one is counted, a guess before its turn is refused (the attempts item's
    # next turn is set ahead here, so the refusal does not depend on the machine's speed), the right one resets.
    assert cloud.call_api("POST", "/kiosk/unlock", {"pin": "0000"})[0] == 403
    attempts = {"requestId": ATTEMPTS_KEY}
    table.update_item(
        Key=attempts, UpdateExpression="SET nextTurn = :later", ExpressionAttributeValues={":later": 2**40}
    )
    assert cloud.call_api("POST", "/kiosk/unlock", {"pin": "0000"})[0] == 429
    table.update_item(Key=attempts, UpdateExpression="REMOVE nextTurn")
    assert cloud.call_api("POST", "/kiosk/unlock", {"pin": KIOSK_PIN})[0] == 200


def _status_change(cloud, key: str) -> dict:
    # The event's shape: https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
    started_with = {
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": cloud.bucket}, "object": {"key": key}},
    }
    return {
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "detail": {"status": "TIMED_OUT", "input": json.dumps(started_with)},
    }


# --- what the state machine and the upload rule do with their own roles -------------------------------------------


def workflow_calls(table: str) -> list[Call]:
    """The service integrations of the definition: an optimised integration calls the service with the state
    machine's role ("Call other AWS services", https://docs.aws.amazon.com/step-functions/latest/dg/integrate-services.html;
    Lambda: https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html, DynamoDB:
    https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html)."""
    definition = json.loads(definition_path().read_text())
    calls = []
    for state in _states(definition):
        resource = state.get("Resource", "")
        if not resource.startswith("arn:aws:states:::"):
            continue
        service, _, operation = resource.removeprefix("arn:aws:states:::").partition(":")
        parameters = state.get("Parameters", {})
        if service == "lambda" and operation == "invoke":
            # The state invokes exactly the ARN its definition substitution names (the functions' live alias since
            # SnapStart): the record keeps the substitution, filled from the template or the deployed definition.
            substitution = parameters["FunctionName"].removeprefix("${").removesuffix("}")
            name = f"{SUBSTITUTION_PREFIX}{substitution}}}"
            calls.append(Call(WORKFLOW, "lambda", "InvokeFunction", {"FunctionName": name}))
        elif service == "dynamodb":
            op = operation[0].upper() + operation[1:]
            calls.append(Call(WORKFLOW, "dynamodb", op, {"TableName": table, "Key": parameters["Key"]}))
        else:
            raise AssertionError(f"no translation for the integration {resource}")
    return calls


def _states(definition: dict) -> list[dict]:
    found = []
    for state in definition.get("States", {}).values():
        found.append(state)
        for nested in (state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", [])):
            if nested:
                found += _states(nested)
    return found


def upload_rule_calls(state_machine_arn: str) -> list[Call]:
    """EventBridge starts the workflow with the target's role (Amazon EventBridge user guide, "Permissions for
    Step Functions targets": https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html)."""
    return [Call(UPLOAD_RULE, "states", "StartExecution", {"stateMachineArn": state_machine_arn})]


def to_permissions(calls: list[Call], names: Names) -> dict[str, list[Permission]]:
    by_role: dict[str, list[Permission]] = {role: [] for role in (*FUNCTIONS, WORKFLOW, UPLOAD_RULE)}
    for call in calls:
        for permission in translate(call, names):
            when = dict(CONFIGURED.get((call.function, permission.action), {}))
            if permission.resource == "${UpscaleModel}":
                when |= UPSCALING
            by_role[call.function].append(
                Permission(permission.action, permission.resource, permission.conditions, when, permission.calls)
            )
    return {role: merge(permissions) for role, permissions in by_role.items()}


@pytest.fixture
def aws_backend(cloud, monkeypatch):
    secret = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="photobooth-booth-key", SecretString=BOOTH_KEY
    )
    for key, value in {
        "PHOTOBOOTH_BOOTH_KEY_SECRET_ARN": secret["ARN"],
        "PHOTOBOOTH_KIOSK_PIN_HASH": hash_pin(KIOSK_PIN, salt=b"recorder-salt"),
        "PHOTOBOOTH_BACKEND": "aws",
        "PHOTOBOOTH_SEGMENTATION_BACKEND": "sam",
        "PHOTOBOOTH_SAM_ENDPOINT_NAME": SAM_ENDPOINT,
        "PHOTOBOOTH_BEDROCK_MODEL_IDS": json.dumps([INPAINT, CORE]),
        "PHOTOBOOTH_UPSCALER": "bedrock",
        "PHOTOBOOTH_UPSCALE_MODEL_ID": UPSCALE,
        "PHOTOBOOTH_MODERATION_BACKEND": "rekognition",
        "PHOTOBOOTH_MODERATE_GENERATED_IMAGES": "true",
        # A working image smaller than the photo, so the print-size result is upscaled (the upscale model's call).
        "PHOTOBOOTH_WORK_LONG_SIDE": "256",
        "PHOTOBOOTH_OUTPUT_LONG_SIDE": "512",
        # The models' pace is booked and learned on the way (photobooth.pacing); fast, so the run does not wait.
        "PHOTOBOOTH_MODEL_CALLS_PER_MINUTE": "600",
    }.items():
        monkeypatch.setenv(key, value)
    wiring.reset()
    return cloud


def test_every_call_the_code_makes_is_in_the_committed_record(aws_backend):
    cloud = aws_backend
    with recording(answer=answer) as recorder:
        drive_every_function(cloud)
    assert not recorder.unattributed, (
        "calls made on a worker thread cannot be credited to a function (no handler on their stack): "
        + ", ".join(f"{c.service}.{c.operation}" for c in recorder.unattributed)
    )
    made_by = {(c.function, c.service, c.operation, c.params.get("modelId")) for c in recorder.calls}
    # The calls the merged branches added are among them: the fallback model painted, the booth key was read.
    assert ("generate", "bedrock", "InvokeModel", CORE) in made_by, "Stable Image Core painted one picture"
    assert ("status", "secretsmanager", "GetSecretValue", None) in made_by, "the status function read the booth key"
    names = Names(
        bucket=cloud.bucket,
        table=cloud.local.table,
        state_machine_arn=cloud.local.state_machine_arn,
        sam_endpoint=SAM_ENDPOINT,
        bedrock_models=(INPAINT, CORE),
        upscale_model=UPSCALE,
        booth_key_secret_arn=os.environ["PHOTOBOOTH_BOOTH_KEY_SECRET_ARN"],
        fixed_item_keys=(ATTEMPTS_KEY, PACE_KEY),
    )
    calls = recorder.calls + workflow_calls(cloud.local.table) + upload_rule_calls(cloud.local.state_machine_arn)
    made = to_permissions(calls, names)
    assert all(made[f] for f in FUNCTIONS), {f: len(p) for f, p in made.items()}

    if RECORD:
        DATA_PATH.write_text(dump(made))
    committed = parse(json.loads(DATA_PATH.read_text()))
    missing = [
        f"{role}: {p.action} on {p.resource} {dict(p.conditions) or ''} ({', '.join(p.calls)})"
        for role, permissions in made.items()
        for p in permissions
        if p.key() not in {c.key() for c in committed.get(role, ())}
    ]
    assert not missing, f"calls missing from {DATA_FILE}; run `{REGENERATE}` and commit it:\n" + "\n".join(missing)
    stale = [
        f"{role}: {p.action} on {p.resource}"
        for role, permissions in committed.items()
        for p in permissions
        if p.key() not in {m.key() for m in made.get(role, ())}
    ]
    assert not stale, f"{DATA_FILE} holds calls the code no longer makes; run `{REGENERATE}`:\n" + "\n".join(stale)
