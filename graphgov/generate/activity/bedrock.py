"""Bedrock: model invocations (and their invocation-log records where logging is on), invocation
logging configuration, model customization jobs and provisioned throughput."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from graphgov.generate.constants import EU, SERVE, TRAIN, UA_BOTO, UA_CONSOLE, US
from graphgov.generate.encoding import LOWER, dumps, iso
from graphgov.generate.estate import Actor
from graphgov.generate.part import Part
from graphgov.generate.projects import Project

if TYPE_CHECKING:
    from graphgov.generate.platform import Platform


class BedrockActivity(Part):
    """Invocations and the Bedrock control plane; remembers where invocation logging delivers."""

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.provisioned: str | None = None
        self.logging: dict[tuple[str, str], str] = {}
        self.text_only_logging: set[tuple[str, str]] = set()  # configurations that deliver text only

    def unit(self, remaining: int, forced: tuple | None = None, truncate: bool = False) -> None:
        """One invocation by the app, the support bot, an ML engineer or the shadow account; where logging
        is on, its ModelInvocationLog record too (2 records, else 1)."""
        rng = self.rng
        roll = rng.random()
        if forced is not None:
            actor, region = forced
        elif roll < 0.40:
            actor, region = Actor(self.estate.app, rng.choice(("i-0a1b2c3d4e5f60718", "i-0f9e8d7c6b5a49382")),
                                  f"10.40.{rng.randrange(1, 4)}.{rng.randrange(10, 250)}", UA_BOTO), EU
        elif roll < 0.55:
            actor, region = Actor(self.estate.support_bot, "support-bot-handler",
                                  f"10.41.{rng.randrange(1, 4)}.{rng.randrange(10, 250)}", UA_BOTO), US
        elif roll < 0.85:
            actor, region = self.cast.actor("ml"), US
        else:
            actor, region = Actor(self.estate.hackathon, None, f"192.0.2.{rng.randrange(1, 250)}",
                                  rng.choice((UA_BOTO, UA_CONSOLE))), rng.choice((EU, US))
        destination = self.logging.get((actor.account, region))
        if destination and remaining < 2:
            actor, region, destination = Actor(self.estate.hackathon, None, "192.0.2.7", UA_BOTO), US, None
        model, profile_region = self.model_for(actor, region, embeddings=destination is None)
        embedding = model.startswith("amazon.titan-embed")
        operation = "InvokeModel" if embedding else rng.choices(("InvokeModel", "Converse", "ConverseStream"),
                                                                (45, 40, 15))[0]
        t = self.now
        request_id = self.out.uuid()
        extra = {"inferenceRegion": profile_region} if profile_region and profile_region != region else None
        rec = self.trail.api(actor, t, "bedrock", operation, region, {"modelId": model}, None, read_only=True,
                             host=f"bedrock-runtime.{region}.amazonaws.com", request_id=request_id, extra=extra)
        self.trail.emit(rec)
        if destination:
            text = dumps(self.invocation_log(actor, region, request_id, operation, model, t, extra))
            if truncate:
                text = text[: len(text) * 3 // 5]
            self.out.invocation_log(destination, actor.account, region, text, t, self.now, keep=truncate)

    def model_for(self, actor: Actor, region: str, embeddings: bool) -> tuple[str, str | None]:
        """The model an actor invokes in a Region, and where a cross-Region inference profile ran it;
        embedding models only where no logging would deliver them."""
        rng = self.rng
        if actor.account == TRAIN and self.provisioned and rng.random() < 0.3:
            return self.provisioned, None
        if region == EU:
            options = ["anthropic.claude-3-haiku-20240307-v1:0", "eu.anthropic.claude-3-5-sonnet-20240620-v1:0",
                       "mistral.mistral-large-2402-v1:0"]
        else:
            options = ["anthropic.claude-3-haiku-20240307-v1:0", "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
                       "meta.llama3-8b-instruct-v1:0"]
        if embeddings:
            options.append("amazon.titan-embed-text-v2:0")
        model = rng.choice(options)
        if model.startswith("eu."):
            return model, rng.choice(("eu-central-1", "eu-west-1", "eu-west-3"))
        if model.startswith("us."):
            return model, rng.choice(("us-east-1", "us-east-2", "us-west-2"))
        return model, None

    def prompt(self) -> tuple[str, str]:
        """A prompt and its answer, some with an e-mail address and a phone number (personal data to find)."""
        rng = self.rng
        first = rng.choice(("Jane", "Omar", "Lena", "Tariq", "Sofia", "Kenji", "Amara", "Piotr"))
        last = rng.choice(("Doe", "Haddad", "Novak", "Okafor", "Rossi", "Tanaka", "Silva", "Kowalski"))
        email = f"{first.lower()}.{last.lower()}@example.{rng.choice(('com', 'org', 'net'))}"
        phone = rng.choice((f"+44 20 7946 0{rng.randrange(1000):03d}", f"+1-202-555-01{rng.randrange(100):02d}"))
        kind = rng.randrange(6)
        if kind == 0:
            return (f"Summarise this support ticket from {first} {last} ({email}, phone {phone}): my card was "
                    "charged twice for the same order and I need a refund.",
                    "The customer reports a duplicate card charge on one order and asks for a refund of the "
                    "second charge.")
        if kind == 1:
            return (f"Draft a reply to {email} confirming we will call back on {phone} about the loan application.",
                    "Thank you for your message. An advisor will call you back within one business day about "
                    "your loan application.")
        if kind == 2:
            return (f"Explain why transaction TX-{rng.randrange(10**6, 10**7)} for {rng.randrange(20, 5000)} EUR "
                    "was flagged by the fraud model.",
                    "The amount is far above the cardholder's usual spend and the merchant country differs from "
                    "the card's home country.")
        if kind == 3:
            return ("Classify the intent of: 'I cannot log in to the mobile app since the update'.",
                    "Intent: account_access. Sub-intent: login_failure_after_update.")
        if kind == 4:
            return ("Write a Python function that validates an IBAN checksum.",
                    "def valid_iban(iban):\n    s = iban[4:] + iban[:4]\n    return int(''.join(str(int(c, 36)) "
                    "for c in s)) % 97 == 1")
        return ("List three risks of using customer chat transcripts to fine-tune a model.",
                "1. Personal data in the transcripts. 2. Consent and purpose limits. 3. Memorisation of rare "
                "details.")

    def invocation_log(self, actor: Actor, region: str, request_id: str, operation: str, model: str, t: int,
                       extra: dict | None) -> dict[str, Any]:
        """The ModelInvocationLog record of one call, its bodies in the model family's shapes."""
        rng = self.rng
        prompt, answer = self.prompt()
        tokens_in = len(prompt.split()) * 4 // 3 + 8
        tokens_out = len(answer.split()) * 4 // 3 + 2
        latency = rng.randrange(300, 4000)
        if operation == "InvokeModel" and "anthropic" in model:
            body_in: Any = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 512,
                            "messages": [{"role": "user", "content": prompt}]}
            body_out: Any = {"id": f"msg_bdrk_{self.out.hex(12)}", "type": "message", "role": "assistant",
                             "model": "claude-3-haiku-20240307", "content": [{"type": "text", "text": answer}],
                             "stop_reason": "end_turn", "stop_sequence": None,
                             "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out}}
        elif operation == "InvokeModel" and model.startswith("mistral"):
            body_in = {"prompt": f"<s>[INST] {prompt} [/INST]", "max_tokens": 400, "temperature": 0.5}
            body_out = {"outputs": [{"text": answer, "stop_reason": "stop"}]}
        elif operation == "InvokeModel" and "llama" in model:
            body_in = {"prompt": prompt, "max_gen_len": 512, "temperature": 0.5}
            body_out = {"generation": answer, "prompt_token_count": tokens_in, "generation_token_count": tokens_out,
                        "stop_reason": "stop"}
        elif operation == "InvokeModel":
            body_in = {"inputText": prompt, "textGenerationConfig": {"maxTokenCount": 512, "temperature": 0.5}}
            body_out = {"inputTextTokenCount": tokens_in,
                        "results": [{"tokenCount": tokens_out, "outputText": answer, "completionReason": "FINISH"}]}
        else:
            body_in = {"messages": [{"role": "user", "content": [{"text": prompt}]}],
                       "inferenceConfig": {"maxTokens": 512, "temperature": 0.5}}
            usage = {"inputTokens": tokens_in, "outputTokens": tokens_out, "totalTokens": tokens_in + tokens_out}
            if operation == "Converse":
                body_out = {"output": {"message": {"role": "assistant", "content": [{"text": answer}]}},
                            "stopReason": "end_turn", "metrics": {"latencyMs": latency}, "usage": usage}
            else:
                body_out = [{"messageStart": {"role": "assistant"}},
                            {"contentBlockDelta": {"delta": {"text": answer}, "contentBlockIndex": 0}},
                            {"contentBlockStop": {"contentBlockIndex": 0}}, {"messageStop": {"stopReason": "end_turn"}},
                            {"metadata": {"usage": usage, "metrics": {"latencyMs": latency}}}]
        record: dict[str, Any] = {
            "schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": iso(t),
            "accountId": actor.account, "region": region, "requestId": request_id, "operation": operation,
            "modelId": model, "identity": {"arn": actor.arn},
        }
        if operation != "InvokeModel" and rng.random() < 0.5:
            record["requestMetadata"] = {"team": "support" if actor.role is self.estate.support_bot else "platform",
                                         "app": "helpdesk-assistant"}
        if extra:
            record["inferenceRegion"] = extra["inferenceRegion"]
        record["input"] = {"inputContentType": "application/json", "inputBodyJson": body_in,
                           "inputTokenCount": tokens_in}
        record["output"] = {"outputContentType": "application/json", "outputBodyJson": body_out,
                            "outputTokenCount": tokens_out}
        return record

    def logging_config(self, account: str, region: str) -> None:
        """PutModelInvocationLoggingConfiguration: to S3 in the serving account, CloudWatch Logs elsewhere."""
        t = self.now
        if account == SERVE:
            actor = self.cast.actor("mlops")
            config: dict[str, Any] = {"s3Config": {"bucketName": f"acme-bedrock-invocation-logs-{SERVE}",
                                                   "keyPrefix": ""}}
            self.logging[(account, region)] = "s3"
        else:
            actor = self.cast.actor("ml")
            config = {"cloudWatchConfig": {"logGroupName": "/aws/bedrock/modelinvocations",
                                           "roleArn": self.estate.cw_role.arn,
                                           "largeDataDeliveryS3Config": {"bucketName": f"acme-bedrock-large-{TRAIN}",
                                                                         "keyPrefix": "large-data"}}}
            self.logging[(account, region)] = "cwl"
        config.update({"textDataDeliveryEnabled": True, "imageDataDeliveryEnabled": True,
                       "embeddingDataDeliveryEnabled": False, "videoDataDeliveryEnabled": False})
        self.trail.emit(self.trail.api(actor, t, "bedrock", "PutModelInvocationLoggingConfiguration", region,
                                       {"loggingConfig": config}, None))

    def resource_id(self, label: str) -> str:
        """A 12-character Bedrock resource id, fixed per seed and label (create and state change agree)."""
        digest = hashlib.blake2b(label.encode(), digest_size=12, key=self.platform.hkey).digest()
        return "".join(LOWER[b % len(LOWER)] for b in digest)

    def customization(self, c: int) -> dict[str, Any]:
        """Names, ARNs and S3 URIs of customization job c (the same whenever asked)."""
        base = "amazon.titan-text-express-v1:0:8k" if c % 2 == 0 else "amazon.titan-text-lite-v1:0:4k"
        job_id, model_id = self.resource_id(f"job:{c}"), self.resource_id(f"model:{c}")
        return {
            "jobName": f"Support-Intent-FineTune-{c + 1:03d}", "customModelName": f"support-intent-titan-v{c + 1}",
            "base": base, "baseArn": f"arn:aws:bedrock:{US}::foundation-model/{base}",
            "jobArn": f"arn:aws:bedrock:{US}:{TRAIN}:model-customization-job/{base}/{job_id}",
            "modelArn": f"arn:aws:bedrock:{US}:{TRAIN}:custom-model/{base}/{model_id}",
            "train": f"s3://acme-data-3/support/chat-transcripts/fine-tune-v{c + 1}/train.jsonl",
            "validation": f"s3://acme-data-3/support/chat-transcripts/fine-tune-v{c + 1}/validation.jsonl",
            "output": f"s3://acme-models-training-use1/bedrock-customization/v{c + 1}/",
            "hyper": {"epochCount": "2", "batchSize": "1", "learningRate": "0.00001", "learningRateWarmupSteps": "0"},
        }

    def step_customization_job(self, remaining: int, c: int, project: Project) -> None:
        """CreateModelCustomizationJob: Titan fine-tuned on the support chat transcripts."""
        t = self.now
        project.custom_created_t = t
        job = self.customization(c)
        params: dict[str, Any] = {
            "jobName": job["jobName"], "customModelName": job["customModelName"],
            "roleArn": self.estate.bedrock_role.arn,
            "baseModelIdentifier": job["baseArn"] if c % 2 == 0 else job["base"], "customizationType": "FINE_TUNING",
            "hyperParameters": job["hyper"], "trainingDataConfig": {"s3Uri": job["train"]},
            "validationDataConfig": {"validators": [{"s3Uri": job["validation"]}]},
            "outputDataConfig": {"s3Uri": job["output"]},
        }
        if c % 2 == 1:
            params["customModelKmsKeyId"] = self.estate.keys["bedrock"]
        self.trail.emit(self.trail.api(self.cast.actor("ml"), t, "bedrock", "CreateModelCustomizationJob", US, params,
                                       {"jobArn": job["jobArn"]}))

    def step_customization_done(self, remaining: int, c: int, project: Project) -> None:
        """The customization job's Completed state change, on EventBridge."""
        t = self.now
        job = self.customization(c)
        started = project.custom_created_t
        self.out.eventbridge({
            "version": "0", "id": self.out.uuid(), "detail-type": "Model Customization Job State Change",
            "source": "aws.bedrock", "account": TRAIN, "time": iso(t), "region": US, "resources": [job["jobArn"]],
            "detail": {"version": "0.0", "jobName": job["jobName"], "jobArn": job["jobArn"],
                       "outputModelName": job["customModelName"], "outputModelArn": job["modelArn"],
                       "roleArn": self.estate.bedrock_role.arn, "jobStatus": "Completed", "creationTime": iso(started),
                       "lastModifiedTime": iso(t), "endTime": iso(t), "baseModelArn": job["baseArn"],
                       "hyperParameters": job["hyper"], "trainingDataConfig": {"s3Uri": job["train"]},
                       "validationDataConfig": {"s3Uri": job["validation"]},
                       "outputDataConfig": {"s3Uri": job["output"]}}}, self.now)

    def step_provisioned_throughput(self, remaining: int, c: int) -> None:
        """CreateProvisionedModelThroughput for the custom model (ML engineers then invoke it)."""
        t = self.now
        job = self.customization(c)
        arn = f"arn:aws:bedrock:{US}:{TRAIN}:provisioned-model/{self.resource_id(f'provisioned:{c}')}"
        self.trail.emit(self.trail.api(self.cast.actor("ml"), t, "bedrock", "CreateProvisionedModelThroughput", US,
                                       {"provisionedModelName": f"support-intent-pt-v{c + 1}",
                                        "modelId": job["modelArn"], "modelUnits": 1, "commitmentDuration": "OneMonth"},
                                       {"provisionedModelArn": arn}))
        self.provisioned = arn

    def step_logging_config(self, remaining: int, account: str, region: str, text_only: bool = False) -> None:
        """Invocation logging switched on; `text_only` delivers text only (an issue 11 plant)."""
        t = self.now
        if text_only:  # the support bot's Region: text delivery only, to the serving account's log bucket
            actor = self.cast.actor("mlops")
            config: dict[str, Any] = {"s3Config": {"bucketName": f"acme-bedrock-invocation-logs-{SERVE}-use1",
                                                   "keyPrefix": ""}, "textDataDeliveryEnabled": True,
                                      "imageDataDeliveryEnabled": False, "embeddingDataDeliveryEnabled": False,
                                      "videoDataDeliveryEnabled": False}
            self.logging[(account, region)] = "s3"
            self.text_only_logging.add((account, region))
            self.trail.emit(self.trail.api(actor, t, "bedrock", "PutModelInvocationLoggingConfiguration", region,
                                           {"loggingConfig": config}, None))
            return
        self.logging_config(account, region)

    def delete_logging_config(self, account: str, region: str) -> None:
        """Logging switched off mid-window (DeleteModelInvocationLoggingConfiguration takes no parameters)."""
        self.logging.pop((account, region), None)
        self.text_only_logging.discard((account, region))
        self.trail.emit(self.trail.api(self.cast.actor("mlops"), self.now, "bedrock",
                                       "DeleteModelInvocationLoggingConfiguration", region, None, None))
