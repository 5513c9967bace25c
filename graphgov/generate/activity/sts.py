"""STS: role assumptions by people, services, the GitHub OIDC provider, IAM Identity Center (SAML) and
the training account's jobs (a cross-account call, seen from both accounts)."""

from __future__ import annotations

import base64
import hashlib

from graphgov.generate.constants import DATA, EU, SERVE, SSO_PROVIDER, TRAIN, UA_CLI, UA_CONSOLE, US
from graphgov.generate.estate import Actor, Role
from graphgov.generate.part import Part
from graphgov.generate.projects import Project


class StsActivity(Part):
    """Writes AssumeRole, AssumeRoleWithSAML and AssumeRoleWithWebIdentity records."""

    def unit(self, remaining: int) -> None:
        """A cross-account assumption, a person assuming a role, a service assuming its role, or GitHub OIDC."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.35 and remaining >= 2:
            training = self.projects.training
            if training and rng.random() < 0.6:
                self.step_cross_account(remaining, training.job_name.lower(), training)
            else:
                self.step_cross_account(remaining, "ml-exploration")
        elif roll < 0.70:
            estate = self.estate
            user, role, session = rng.choice((
                (estate.alice, estate.data_engineer, "alice.admin"), (estate.alice, estate.analyst, "alice.admin"),
                (estate.bob, estate.ml_engineer, "bob.ml"), (estate.carol, estate.mlops, "carol.ops")))
            if role is estate.analyst:  # an SSO role: only IAM Identity Center's SAML sign-in may assume it
                self.saml_assume()
            else:
                self.assume(Actor(user, None, self.cast.corp_ip(), UA_CLI), role, session)
        elif roll < 0.90:
            service, role, session, region = rng.choice((
                ("sagemaker.amazonaws.com", self.projects.current().exec_role, "SageMaker", EU),
                ("ec2.amazonaws.com", self.estate.app, rng.choice(("i-0a1b2c3d4e5f60718", "i-0f9e8d7c6b5a49382")), EU),
                ("lambda.amazonaws.com", self.estate.support_bot, "support-bot-handler", US),
                ("glue.amazonaws.com", self.estate.pipeline, "glue-job-ingest", EU)))
            self.step_service_assume(remaining, service, role, session, region)
        else:
            self.web_identity()

    def assume(self, actor: Actor, role: Role, session: str, region: str = EU) -> None:
        """AssumeRole by `actor`, in the caller's account trail."""
        t = self.now
        self.trail.emit(self.trail.api(actor, t, "sts", "AssumeRole", region,
                                       {"roleArn": role.arn, "roleSessionName": session, "durationSeconds": 3600},
                                       self.trail.assume_response(role, session, t), read_only=True,
                                       resources=self.trail.role_resource(role)))

    def web_identity(self) -> None:
        """GitHub Actions assumes the deploy role with its OIDC token."""
        t = self.now
        role, session = self.estate.deploy, f"GitHubActions-{self.rng.randrange(10**9, 10**10)}"
        subject = "repo:acme/ml-serving:ref:refs/heads/main"
        provider = f"arn:aws:iam::{SERVE}:oidc-provider/token.actions.githubusercontent.com"
        identity = {"type": "WebIdentityUser", "principalId": f"{provider}:sts.amazonaws.com:{subject}",
                    "userName": subject, "identityProvider": provider}
        response = self.trail.assume_response(role, session, t)
        response.update({"subjectFromWebIdentityToken": subject, "provider": provider, "audience": "sts.amazonaws.com"})
        self.trail.emit(self.trail.record(
            identity=identity, t=t, source="sts.amazonaws.com", name="AssumeRoleWithWebIdentity", region=EU,
            ip=f"192.0.2.{self.rng.randrange(1, 250)}",
            ua="aws-sdk-js/3.716.0 ua/2.1 os/linux#6.8.0 lang/js md/nodejs#20.18.1",
            params={"roleArn": role.arn, "roleSessionName": session, "durationSeconds": 3600},
            response=response, recipient=SERVE, read_only=True, host=f"sts.{EU}.amazonaws.com",
            resources=self.trail.role_resource(role),
            extra={"identityProviderConnectionVerificationMethod": "IAMTrustStore"}))

    def step_service_assume(self, remaining: int, service: str, role: Role, session: str, region: str) -> None:
        """A service (SageMaker, EC2, Lambda, Glue, Bedrock) assumes the role it runs as."""
        t = self.now
        trail = self.trail
        trail.emit(trail.record(identity={"type": "AWSService", "invokedBy": service}, t=t,
                                source="sts.amazonaws.com", name="AssumeRole", region=region, ip=service, ua=service,
                                params={"roleArn": role.arn, "roleSessionName": session},
                                response=trail.assume_response(role, session, t), recipient=role.account,
                                read_only=True, resources=trail.role_resource(role), shared=self.out.uuid()))

    def step_cross_account(self, remaining: int, session: str, project: Project | None = None) -> None:
        """A training-account principal assumes the data account's role: both trail copies (2 records)."""
        if remaining < 2:
            self.assume(Actor(self.estate.alice, None, self.cast.corp_ip(), UA_CLI), self.estate.data_engineer,
                        "alice.admin")
            return
        t = self.now
        rng = self.rng
        caller = self.cast.exec_actor(project) if project is not None else self.cast.actor("ml")
        role = self.estate.data_access
        params = {"roleArn": role.arn, "roleSessionName": session, "durationSeconds": 3600,
                  "externalId": "acme-training-2026"}
        response = self.trail.assume_response(role, session, t)
        request_id, shared = self.out.uuid(), self.out.uuid()
        common = dict(t=t, source="sts.amazonaws.com", name="AssumeRole", region=EU, ip=caller.ip, ua=caller.ua,
                      params=params, response=response, read_only=True, host=f"sts.{EU}.amazonaws.com",
                      resources=self.trail.role_resource(role), request_id=request_id, shared=shared)
        requester = self.trail.record(identity=self.trail.identity(caller, t), recipient=TRAIN, **common)
        owner_identity = {"type": "AWSAccount", "principalId": caller.principal_id, "accountId": TRAIN}
        owner = self.trail.record(identity=owner_identity, recipient=DATA, **common)
        if rng.random() < 0.5:
            requester, owner = owner, requester
        self.trail.emit(requester, t=t)
        self.trail.emit(owner, t=t)

    def saml_assume(self) -> None:
        """An analyst signs in through IAM Identity Center: AssumeRoleWithSAML into the SSO role."""
        t = self.now
        role = self.estate.analyst
        user = self.rng.choice(("jdoe", "asmith"))
        qualifier = base64.b64encode(hashlib.sha256(SSO_PROVIDER.encode()).digest()[:20]).decode()
        subject = f"{user}@acme.example"
        response = self.trail.assume_response(role, user, t)
        response.update({"subject": subject, "subjectType": "persistent",
                         "issuer": "https://portal.sso.eu-west-1.amazonaws.com/saml/assertion/NWUyYjdjMWQ5YThm",
                         "audience": "https://signin.aws.amazon.com/saml", "nameQualifier": qualifier})
        self.trail.emit(self.trail.record(
            identity={"type": "SAMLUser", "principalId": f"{qualifier}:{subject}", "userName": subject,
                      "identityProvider": qualifier},
            t=t, source="sts.amazonaws.com", name="AssumeRoleWithSAML", region=EU, ip=self.cast.corp_ip(),
            ua=UA_CONSOLE,
            params={"sAMLAssertionID": "_" + self.out.hex(16), "roleSessionName": user, "durationSeconds": 3600,
                    "roleArn": role.arn, "principalArn": SSO_PROVIDER},
            response=response, recipient=DATA, read_only=True,
            resources=[*self.trail.role_resource(role), {"accountId": DATA, "type": "AWS::IAM::SAMLProvider",
                                                         "ARN": SSO_PROVIDER}]))
