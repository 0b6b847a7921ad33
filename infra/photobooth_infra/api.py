"""The HTTP API (payload v2, what the handlers' Powertools APIGatewayHttpResolver expects), booth-key auth."""

from __future__ import annotations

import json

import jsii
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw_v1
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from photobooth_infra import constants
from photobooth_infra.config import DeploymentConfig
from photobooth_infra.functions import log_group_and_role
from photobooth_infra.nag import acknowledge

_ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency",
    "authorizerError": "$context.authorizer.error",
}


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigw.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw_v1.AccessLogFormat:
        return apigw_v1.AccessLogFormat.custom(json.dumps(_ACCESS_LOG_FORMAT))


class Api(Construct):
    """Starting work needs the booth key (header ``x-booth-key``, kept in Secrets Manager); a visitor's phone reads
    and erases its own request by its unguessable id alone, and the event wall reads opted-in results
    (``constants.VISITOR_ROUTES``). The stage throttles."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        functions: dict[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)

        self.booth_key = secretsmanager.Secret(
            self,
            "BoothKey",
            description="photobooth: the key every booth pad sends in the x-booth-key header",
            generate_secret_string=secretsmanager.SecretStringGenerator(exclude_punctuation=True, password_length=40),
        )
        acknowledge(
            self.booth_key,
            "AwsSolutions-SMG4",
            "A shared device key typed into each booth pad: the operator rotates it between events "
            "(the README's Deploy to AWS section); automatic rotation would lock the pads out mid-event.",
        )
        self.authorizer_function = self._authorizer_function(config)

        cors = None
        if config.allowed_origins:
            cors = apigw.CorsPreflightOptions(
                allow_origins=list(config.allowed_origins),
                allow_methods=[apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.POST, apigw.CorsHttpMethod.DELETE],
                allow_headers=["content-type", constants.BOOTH_KEY_HEADER],
                max_age=Duration.hours(1),
            )
        self.http_api = apigw.HttpApi(
            self,
            "HttpApi",
            description="photobooth booth API",
            create_default_stage=False,
            cors_preflight=cors,
            default_authorizer=authorizers.HttpLambdaAuthorizer(
                "BoothKeyAuthorizer",
                self.authorizer_function,
                identity_source=[f"$request.header.{constants.BOOTH_KEY_HEADER}"],
                response_types=[authorizers.HttpLambdaResponseType.SIMPLE],
                results_cache_ttl=Duration.minutes(5),
            ),
        )
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=constants.LOG_RETENTION[config.log_retention_days],
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=config.throttle.rate_limit, burst_limit=config.throttle.burst_limit
            ),
            access_log_settings=_AccessLogSettings(self.access_logs),
        )

        # The integrations keep API Gateway's default timeout, 30 s for HTTP APIs (constants.API_INTEGRATION_TIMEOUT,
        # which POST /photo's wait is sized against): CDK refuses a stated timeout above 29 s.
        integrations_by_function: dict[str, integrations.HttpLambdaIntegration] = {}
        for method, path, spec in constants.API_ROUTES:
            integration = integrations_by_function.get(spec.name)
            if integration is None:
                integration = integrations.HttpLambdaIntegration(
                    f"{spec.name.capitalize()}Integration",
                    functions[spec.name],
                    payload_format_version=apigw.PayloadFormatVersion.VERSION_2_0,
                )
                integrations_by_function[spec.name] = integration
            why_open = constants.VISITOR_ROUTES.get((method, path))
            routes = self.http_api.add_routes(
                path=path,
                methods=[apigw.HttpMethod(method)],
                integration=integration,
                authorizer=apigw.HttpNoneAuthorizer() if why_open else None,
            )
            if why_open:
                for route in routes:
                    acknowledge(route, "AwsSolutions-APIG4", why_open)

    @property
    def domain_name(self) -> str:
        """``{apiId}.execute-api.{region}.amazonaws.com``: the CloudFront origin."""
        return f"{self.http_api.api_id}.execute-api.{self.http_api.stack.region}.{self.http_api.stack.url_suffix}"

    def _authorizer_function(self, config: DeploymentConfig) -> lambda_.Function:
        scope = Construct(self, "Authorizer")
        log_group, role = log_group_and_role(scope, config, "photobooth booth-key authorizer")
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadBoothKey", actions=["secretsmanager:GetSecretValue"], resources=[self.booth_key.secret_arn]
            )
        )
        authorizer = lambda_.Function(
            scope,
            "Function",
            description="photobooth: compare the x-booth-key header with the booth key secret",
            runtime=constants.PYTHON_RUNTIME,
            architecture=constants.ARCHITECTURE,
            handler=constants.HANDLER,
            code=lambda_.Code.from_asset(str(constants.AUTHORIZER_DIR), exclude=["__pycache__", "*.pyc"]),
            memory_size=128,
            timeout=Duration.seconds(5),
            environment={"BOOTH_KEY_SECRET_ARN": self.booth_key.secret_arn},
            log_group=log_group,
            role=role,
        )
        acknowledge(authorizer, "AwsSolutions-L1", constants.RUNTIME_NOT_LATEST)
        return authorizer
