"""The shape of a CloudTrail record (userIdentity, request and response, resources, TLS details) and
the one way a record reaches the trail (`emit`), in the recipient account's file for its Region."""

from __future__ import annotations

import base64
from typing import Any

from graphgov.generate.constants import START, TLS
from graphgov.generate.encoding import UPPER, dumps, human, iso
from graphgov.generate.estate import Actor, Role
from graphgov.generate.part import Part


class CloudTrailRecords(Part):
    """Builds CloudTrail records field by field, in AWS's order, and hands them to the output."""

    def access_key(self, prefix: str) -> str:
        """An access key id with the given prefix (`ASIA` for temporary credentials)."""
        return prefix + "".join(self.rng.choices(UPPER, k=16))

    def identity(self, actor: Actor, t: int) -> dict[str, Any]:
        """The userIdentity of an IAM user, or of an assumed-role session and its issuer."""
        if actor.user is not None:
            user = actor.user
            return {"type": "IAMUser", "principalId": user.id, "arn": user.arn, "accountId": user.account,
                    "accessKeyId": user.access_key, "userName": user.name}
        role = actor.role
        assert role is not None
        return {"type": "AssumedRole", "principalId": actor.principal_id, "arn": actor.arn, "accountId": role.account,
                "accessKeyId": self.access_key("ASIA"),
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": role.id, "arn": role.arn,
                                                     "accountId": role.account, "userName": role.name},
                                   "attributes": {"creationDate": iso(t - t % 3600), "mfaAuthenticated": "false"}}}

    def record(self, *, identity: dict[str, Any], t: int, source: str, name: str, region: str, ip: str, ua: str,
               params: Any, response: Any, recipient: str, read_only: bool, host: str | None = None,
               resources: list | None = None, extra: dict | None = None, request_id: str | None = None,
               shared: str | None = None, error: tuple[str, str] | None = None,
               data_event: bool = False) -> dict[str, Any]:
        """A CloudTrail record, its fields in the order CloudTrail writes them."""
        rec: dict[str, Any] = {
            "eventVersion": "1.10" if data_event else "1.11", "userIdentity": identity, "eventTime": iso(t),
            "eventSource": source, "eventName": name, "awsRegion": region, "sourceIPAddress": ip, "userAgent": ua,
        }
        if error:
            rec["errorCode"], rec["errorMessage"] = error
        rec["requestParameters"] = params
        rec["responseElements"] = response
        if extra is not None:
            rec["additionalEventData"] = extra
        rec["requestID"] = request_id or self.out.uuid()
        rec["eventID"] = self.out.uuid()
        rec["readOnly"] = read_only
        if resources:
            rec["resources"] = resources
        rec["eventType"] = "AwsApiCall"
        rec["managementEvent"] = not data_event
        rec["recipientAccountId"] = recipient
        if shared:
            rec["sharedEventID"] = shared
        rec["eventCategory"] = "Data" if data_event else "Management"
        if host:
            rec["tlsDetails"] = {"tlsVersion": TLS[0], "cipherSuite": TLS[1], "clientProvidedHostHeader": host}
        return rec

    def api(self, actor: Actor, t: int, service: str, name: str, region: str, params: Any, response: Any,
            read_only: bool = False, **kw: Any) -> dict[str, Any]:
        """A management call by `actor` in its own account."""
        host = kw.pop("host", None) or f"{service}.{region}.amazonaws.com"
        return self.record(identity=self.identity(actor, t), t=t, source=f"{service}.amazonaws.com", name=name,
                           region=region, ip=actor.ip, ua=actor.ua, params=params, response=response,
                           recipient=actor.account, read_only=read_only, host=host, **kw)

    def emit(self, rec: dict[str, Any], duplicate: bool = False, t: int | None = None) -> None:
        """Hand a record to its recipient account's trail file for its Region: it arrives now, and happened at
        `t` (default: now)."""
        now = START + self.out.n
        self.out.cloudtrail(rec["recipientAccountId"], rec["awsRegion"], dumps(rec), t or now, now, duplicate)

    def assume_response(self, role: Role, session: str, t: int) -> dict[str, Any]:
        """The responseElements of an AssumeRole: fresh credentials and the assumed-role user."""
        return {"credentials": {"accessKeyId": self.access_key("ASIA"),
                                "sessionToken": "IQoJb3JpZ2luX2VjE" + base64.b64encode(self.rng.randbytes(96)).decode(),
                                "expiration": human(t + 3600)},
                "assumedRoleUser": {"assumedRoleId": f"{role.id}:{session}", "arn": role.session_arn(session)}}

    def role_resource(self, role: Role) -> list[dict[str, str]]:
        """The `resources` entry naming a role."""
        return [{"accountId": role.account, "type": "AWS::IAM::Role", "ARN": role.arn}]
