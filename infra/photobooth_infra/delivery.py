"""CloudFront: the booth page and the event wall, generated/ (origin access control) and the API, on one domain."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from photobooth_infra import constants
from photobooth_infra.config import DeploymentConfig
from photobooth_infra.nag import acknowledge
from photobooth_infra.storage import Storage

_WEB_EXCLUDES = ["config.js", "node_modules", "**/__pycache__", "*.test.js", "tests"]


def page_alias_code(aliases: dict[str, str]) -> str:
    """A CloudFront Function (viewer request) that serves a page path such as ``/wall`` from its file under web/,
    as the AWS example "Add index.html to request URLs without a file name" rewrites ``request.uri``
    (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/example-function-add-index.html).
    The browser keeps ``/wall``, so the page's relative links (styles.css, js/wall.js) still resolve at the root.
    Every alias starts with ``/``, so no inherited property of the object can match a URI."""
    return (
        f"var ALIASES = {json.dumps(aliases, sort_keys=True)};\n"
        "function handler(event) {\n"
        "  var request = event.request;\n"
        "  var file = ALIASES[request.uri];\n"
        "  if (file) {\n"
        "    request.uri = file;\n"
        "  }\n"
        "  return request;\n"
        "}\n"
    )


def booth_page_config(config: DeploymentConfig, *, api_base: str) -> str:
    """web/config.js as deployed: the page's own defaults cover every key not set here."""
    settings = {
        "apiBase": api_base,
        "retentionDays": config.retention_days,
        "boothKeyRequired": True,  # POST routes need the x-booth-key header (api.py)
        **config.booth_page.as_config_js(),
    }
    return (
        "// Written by the deployment (infra/photobooth_infra/delivery.py); edit the `booth_page` setting instead.\n"
        f"window.PHOTOBOOTH_CONFIG = {json.dumps(settings, indent=2)};\n"
    )


class Delivery(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        storage: Storage,
        api_domain_name: str,
        web_dir: Path,
    ) -> None:
        super().__init__(scope, construct_id)

        self.site_bucket = s3.Bucket(
            self,
            "Site",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=storage.access_logs,
            server_access_logs_prefix="s3/site/",
        )

        # The data bucket is reached by its name (pseudo parameters only), so that its CORS rule can name this
        # distribution; its bucket policy grants this distribution generated/* alone (Storage.grant_cloudfront_read).
        data_bucket_by_name = s3.Bucket.from_bucket_attributes(
            self,
            "DataBucketByName",
            bucket_name=storage.data_bucket_name,
            bucket_regional_domain_name=storage.data_bucket_regional_domain_name,
        )
        # Erasure (DELETE /photo/{id}) must not leave copies at the edge for long.
        generated_cache = cloudfront.CachePolicy(
            self,
            "GeneratedCache",
            comment="photobooth results: short TTL so that erased images disappear from the edge quickly",
            default_ttl=Duration.minutes(5),
            max_ttl=Duration.hours(1),
            min_ttl=Duration.seconds(0),
            enable_accept_encoding_gzip=False,
            enable_accept_encoding_brotli=False,
        )
        api_behavior = cloudfront.BehaviorOptions(
            origin=origins.HttpOrigin(api_domain_name, protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY),
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        )
        page_aliases = cloudfront.Function(
            self,
            "PageAliases",
            comment="photobooth: /wall is web/wall.html",
            code=cloudfront.FunctionCode.from_inline(page_alias_code(constants.PAGE_ALIASES)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="photobooth booth page, results and API",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.site_bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=page_aliases, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            additional_behaviors={
                f"{constants.GENERATED_PREFIX}*": cloudfront.BehaviorOptions(
                    origin=origins.S3BucketOrigin.with_origin_access_control(data_bucket_by_name),
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    cache_policy=generated_cache,
                ),
                **{pattern: api_behavior for pattern in constants.API_PATH_PATTERNS},
            },
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=storage.access_logs,
            log_file_prefix="cloudfront/",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "Visitors are at the event's venue; a geo restriction would only block roaming booth pads.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR2",
            "The API needs the booth key and is throttled; WAF costs more than the booth earns at one event. "
            "Attach a web ACL (the README's Deploy to AWS section) where the deployment is long-lived.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR4",
            "The distribution uses the default *.cloudfront.net certificate, for which CloudFront fixes the "
            "TLS policy; a custom domain with its own certificate would allow TLSv1.2_2021.",
        )

        self.url = f"https://{self.distribution.distribution_domain_name}"
        storage.grant_cloudfront_read(constants.GENERATED_PREFIX, self.distribution.distribution_arn)
        storage.allow_browser_uploads([self.url, *config.allowed_origins])
        storage.allow_browser_downloads([self.url, *config.allowed_origins])

        self.deployment = s3deploy.BucketDeployment(
            self,
            "BoothPage",
            sources=[
                s3deploy.Source.asset(str(web_dir), exclude=_WEB_EXCLUDES),
                s3deploy.Source.data("config.js", booth_page_config(config, api_base=self.url)),
            ],
            destination_bucket=self.site_bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
            prune=True,
        )
