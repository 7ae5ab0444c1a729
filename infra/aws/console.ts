import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  Aws,
  CfnOutput,
  CfnParameter,
  DockerImage,
  Duration,
  NestedStack,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as identitypool from 'aws-cdk-lib/aws-cognito-identitypool';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { routesForRole } from '../../functions/api/route-roles.ts';
import { ROLE_NAMES, type RoleName, type RoleRule } from '../../functions/commons/facts.ts';
import { type Api, STAGE_NAME } from './api.ts';
import type { ConsoleFederation, StewardContext } from './context.ts';
import { wildcardResourceFinding } from './nag.ts';
import { acknowledgeUnreplicated } from './replication.ts';

/**
 * The console on AWS (context `console=true`): its static files in a private S3 bucket served by
 * CloudFront through origin access control, with security headers; people sign in through a
 * Cognito user pool (hosted UI, TOTP MFA required, optional federation with the company's IdP);
 * an identity pool maps each user pool group, one per Steward role, to an IAM role that may invoke
 * exactly the API routes that Steward role can use. The browser signs `/v1` calls with SigV4
 * using those credentials, and the API's own IAM authorization and `stewardRoles` decide the rest:
 * the stack puts one rule per group role at the head of `stewardRoles`.
 */

/** Group precedence: the identity pool hands out the role of the user's lowest-numbered group. */
const PRECEDENCE: Record<RoleName, number> = {
  admin: 0,
  approver: 1,
  deployer: 2,
  publisher: 3,
  auditor: 4,
};

const pascal = (role: string) => `${role[0]!.toUpperCase()}${role.slice(1)}`;

export interface ConsoleIdentityProps {
  readonly settings: StewardContext;
  readonly accessLogsBucket: s3.Bucket;
  /** The artifacts bucket: drift reports open from presigned URLs on it in a sandboxed frame. */
  readonly artifactsBucket: s3.IBucket;
}

/**
 * A nested stack of its own: the main stack is near CloudFormation's 500 resources, and the
 * console adds about forty besides the CORS preflights, which must stay on the API.
 */
export class Console extends NestedStack {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly userPool: cognito.UserPool;
  readonly userPoolClient: cognito.UserPoolClient;
  readonly userPoolDomain: cognito.UserPoolDomain;
  readonly identityPool: identitypool.IdentityPool;
  /** One IAM role per Steward role, assumed through the identity pool by that group's members. */
  readonly roles: Readonly<Record<RoleName, iam.Role>>;
  /** `https://<distribution domain or custom domain>`, no trailing slash. */
  readonly origin: string;
  /** Rules for `stewardRoles`: each group role's sessions get that Steward role. */
  readonly roleRules: RoleRule[];
  private readonly logsBucket: s3.Bucket;
  /** The main API's id, handed in as a parameter once the API exists. */
  private readonly apiId: CfnParameter;

  constructor(scope: Construct, id: string, props: ConsoleIdentityProps) {
    super(scope, id, { description: 'Steward console: site, sign-in and the identity pool' });
    const { settings } = props;
    const stack = Stack.of(this);
    this.apiId = new CfnParameter(this, 'ApiId', {
      type: 'String',
      description: 'The main API (RestApi id)',
    });

    // ---- static files: a private bucket behind CloudFront (OAC) ---------------------------------
    this.bucket = new s3.Bucket(this, 'Site', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'console/',
      lifecycleRules: [{ id: 'expire-old-builds', noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    Validations.of(this.bucket.node.defaultChild!).acknowledge({
      id: 'NIST.800.53.R5-S3DefaultEncryptionKMS',
      reason:
        'The console bucket holds the public build of a web page (HTML, JS, CSS, config.json with ids ' +
        'that every signed-in browser reads): nothing secret. SSE-S3 lets CloudFront read it through ' +
        'origin access control without a KMS key policy for the CloudFront service.',
    });
    acknowledgeUnreplicated(
      this.bucket,
      'The console bucket holds a build the stack can deploy again at any time: nothing of record.',
    );

    // CloudFront standard logs are delivered with ACLs, which the other buckets disable.
    this.logsBucket = new s3.Bucket(this, 'CdnLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'console-cdn-logs/',
      lifecycleRules: [{ id: 'expire-cdn-logs', expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.logsBucket.node.defaultChild!).acknowledge({
      id: 'NIST.800.53.R5-S3DefaultEncryptionKMS',
      reason:
        'CloudFront standard log delivery writes with the awslogsdelivery account and an ACL; SSE-S3 ' +
        'needs no key policy for it. The logs are request records of a public page.',
    });
    acknowledgeUnreplicated(
      this.logsBucket,
      'CloudFront access logs are operational records of a static site, not data of record.',
    );

    // ---- sign-in: user pool, hosted UI, groups ---------------------------------------------------
    this.userPool = new cognito.UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const federated = settings.consoleFederation ? this.federation(settings.consoleFederation) : undefined;

    const customDomain = settings.consoleDomain;
    const certificate = customDomain
      ? acm.Certificate.fromCertificateArn(this, 'Certificate', customDomain.certificateArn)
      : undefined;

    // ---- CloudFront --------------------------------------------------------------------------
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Steward console: CSP, HSTS, no framing, no sniffing, no referrer',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: this.contentSecurityPolicy(stack, props.artifactsBucket),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          preload: true,
          override: true,
        },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        xssProtection: { protection: true, modeBlock: true, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          {
            header: 'Permissions-Policy',
            value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
            override: true,
          },
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
        ],
      },
    });
    this.distribution = new cloudfront.Distribution(this, 'Cdn', {
      comment: 'Steward console',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      // A link into the console (/models/churn) is the single-page app's to route.
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(0),
      })),
      ...(customDomain && certificate
        ? {
            domainNames: [customDomain.domainName],
            certificate,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logsBucket,
      logFilePrefix: 'console/',
    });
    this.origin = customDomain
      ? `https://${customDomain.domainName}`
      : `https://${this.distribution.distributionDomainName}`;
    const cdn = this.distribution.node.defaultChild!;
    Validations.of(cdn).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        'The console is for the company’s people wherever they work; who may use it is decided by ' +
        'sign-in (Cognito, MFA required) and IAM, not by country.',
    });
    Validations.of(cdn).acknowledge({
      id: 'AwsSolutions-CFR2',
      reason:
        'A CloudFront web ACL must live in us-east-1, outside this regional stack. The distribution ' +
        'serves only static files; every data request goes to the API, which SigV4 guards and ' +
        'context apiWafRateLimit can put behind WAF.',
    });
    if (!customDomain)
      Validations.of(cdn).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'Without context consoleDomain the distribution uses the default *.cloudfront.net ' +
          'certificate, whose minimum protocol CloudFront fixes (TLSv1); with consoleDomain it is ' +
          'TLSv1.2_2021.',
      });

    // ---- hosted UI and app client ------------------------------------------------------------
    this.userPoolDomain = this.userPool.addDomain('HostedUi', {
      cognitoDomain: {
        domainPrefix: settings.consoleAuthDomainPrefix ?? `${settings.resourcePrefix}-${Aws.ACCOUNT_ID}`,
      },
      managedLoginVersion: cognito.ManagedLoginVersion.CLASSIC_HOSTED_UI,
    });
    this.userPoolClient = this.userPool.addClient('ConsoleClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [`${this.origin}/`],
        logoutUrls: [`${this.origin}/`],
      },
      supportedIdentityProviders: [
        cognito.UserPoolClientIdentityProvider.COGNITO,
        ...(federated ? [cognito.UserPoolClientIdentityProvider.custom(federated.providerName)] : []),
      ],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });
    if (federated) this.userPoolClient.node.addDependency(federated);

    // ---- identity pool: groups -> IAM roles ---------------------------------------------------
    this.identityPool = new identitypool.IdentityPool(this, 'Identities', {
      allowUnauthenticatedIdentities: false,
      allowClassicFlow: false,
      authenticationProviders: {
        userPools: [
          new identitypool.UserPoolAuthenticationProvider({
            userPool: this.userPool,
            userPoolClient: this.userPoolClient,
          }),
        ],
      },
      roleMappings: [
        {
          providerUrl: identitypool.IdentityPoolProviderUrl.userPool(this.userPool, this.userPoolClient),
          mappingKey: 'console',
          useToken: true,
          // A user in no group gets no credentials at all.
          resolveAmbiguousRoles: false,
        },
      ],
    });
    const trust = new iam.WebIdentityPrincipal('cognito-identity.amazonaws.com', {
      StringEquals: { 'cognito-identity.amazonaws.com:aud': this.identityPool.identityPoolId },
      'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
    });
    this.roles = Object.fromEntries(
      ROLE_NAMES.map((role) => {
        const iamRole = new iam.Role(this, `${pascal(role)}Role`, {
          assumedBy: trust,
          description: `Steward console: the ${role} group (execute-api:Invoke on what a ${role} may call)`,
          maxSessionDuration: Duration.hours(1),
        });
        new cognito.CfnUserPoolGroup(this, `${pascal(role)}Group`, {
          userPoolId: this.userPool.userPoolId,
          groupName: role,
          description: `Steward ${role}s`,
          precedence: PRECEDENCE[role],
          roleArn: iamRole.roleArn,
        });
        return [role, iamRole];
      }),
    ) as Record<RoleName, iam.Role>;
    this.roleRules = ROLE_NAMES.map((role) => ({
      pattern: `arn:${Aws.PARTITION}:sts::${Aws.ACCOUNT_ID}:assumed-role/${this.roles[role].roleName}/*`,
      roles: [role],
    }));
  }

  /**
   * Once the API exists: each group role may invoke what its Steward role can use, the API answers
   * the console's origin, and the site is deployed with its `config.json`.
   */
  connect(api: Api): void {
    const stack = Stack.of(this);
    const parent = Stack.of(this.nestedStackParent!);
    this.setParameter('ApiId', api.restApi.restApiId);
    const apiId = this.apiId.valueAsString;
    const invoke = (method: string, path: string) =>
      `arn:${Aws.PARTITION}:execute-api:${Aws.REGION}:${Aws.ACCOUNT_ID}:${apiId}/${STAGE_NAME}/${method}${path.replace(/\{[^}]+\}/g, '*')}`;
    for (const role of ROLE_NAMES) {
      const resources = [...new Set(routesForRole(role).map((r) => invoke(r.method, r.path)))];
      this.roles[role].addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources }),
      );
      const policy = this.roles[role].node.findChild('DefaultPolicy');
      for (const arn of resources.filter((r) => r.includes('*')))
        Validations.of(policy).acknowledge({
          id: wildcardResourceFinding(this, arn),
          reason:
            `A path parameter (model, version, id) of a route a ${role} may call, on this API's stage ` +
            'and that method only: API Gateway ARNs name a parameter with *. Steward checks the rest.',
        });
    }

    new s3deploy.BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      sources: [
        consoleSource(),
        s3deploy.Source.jsonData('config.json', {
          mode: 'aws',
          apiUrl: `https://${apiId}.execute-api.${stack.region}.${stack.urlSuffix}/${STAGE_NAME}`,
          region: stack.region,
          userPoolId: this.userPool.userPoolId,
          userPoolClientId: this.userPoolClient.userPoolClientId,
          userPoolDomain: `https://${this.userPoolDomain.domainName}.auth.${stack.region}.amazoncognito.com`,
          identityPoolId: this.identityPool.identityPoolId,
        }),
      ],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      prune: true,
      memoryLimit: 512,
      logGroup: new logs.LogGroup(this, 'DeployLogs', {
        retention: logs.RetentionDays.ONE_YEAR,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });

    this.acknowledgeDeployHandler();

    new CfnOutput(parent, 'ConsoleUrl', { value: `${this.origin}/` });
    new CfnOutput(parent, 'ConsoleUserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(parent, 'ConsoleIdentityPoolId', { value: this.identityPool.identityPoolId });
  }

  /**
   * CDK's BucketDeployment runs its own singleton function (the AWS CLI in a layer) once per
   * deployment of the stack: its runtime, role and grants are CDK's, not Steward's to choose.
   */
  private acknowledgeDeployHandler(): void {
    const handler = this.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!handler) throw new Error('the BucketDeployment handler was not found');
    const fn = handler.node.defaultChild!;
    const role = handler.node.findChild('ServiceRole');
    const policy = role.node.findChild('DefaultPolicy');
    const why =
      "CDK's BucketDeployment handler copies the console's build from the CDK assets bucket into the " +
      'console bucket when the stack deploys; CDK makes and manages it (runtime, role, grants).';
    Validations.of(role.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: `${why} The managed policy lets it write its own logs only.`,
    });
    for (const id of [
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-IAM5[Action::s3:Abort*]',
      'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
      wildcardResourceFinding(this, this.bucket.arnForObjects('*')),
      'AwsSolutions-IAM5[Resource::*]',
    ])
      Validations.of(policy).acknowledge({
        id,
        reason: `${why} It reads the staged build (assets bucket) and replaces the console bucket's objects (prune), and invalidates the distribution (CloudFront has no resource-level ARN for it here).`,
      });
    for (const id of [
      'AwsSolutions-L1',
      'Serverless-LambdaLatestVersion',
      'Serverless-LambdaTracing',
      'Serverless-LambdaDLQ',
      'NIST.800.53.R5-LambdaDLQ',
      'NIST.800.53.R5-LambdaConcurrency',
      'NIST.800.53.R5-LambdaInsideVPC',
    ])
      Validations.of(fn).acknowledge({
        id,
        reason: `${why} CloudFormation invokes it synchronously as a custom resource and retries the deployment on failure; it reaches only S3 and CloudFront.`,
      });
  }

  private contentSecurityPolicy(stack: Stack, artifacts: s3.IBucket): string {
    const region = stack.region;
    const suffix = stack.urlSuffix;
    return [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data: blob:",
      "font-src 'self'",
      "manifest-src 'self'",
      `connect-src 'self' https://*.execute-api.${region}.${suffix} https://cognito-idp.${region}.${suffix} https://cognito-identity.${region}.${suffix} https://*.auth.${region}.amazoncognito.com`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
      `frame-src https://${artifacts.bucketRegionalDomainName}`,
      `form-action 'self' https://*.auth.${region}.amazoncognito.com`,
      'upgrade-insecure-requests',
    ].join('; ');
  }

  private federation(f: ConsoleFederation): cognito.IUserPoolIdentityProvider {
    const attributeMapping = { email: cognito.ProviderAttribute.other('email') };
    if (f.kind === 'saml')
      return new cognito.UserPoolIdentityProviderSaml(this, 'Saml', {
        userPool: this.userPool,
        name: f.name,
        metadata: cognito.UserPoolIdentityProviderSamlMetadata.url(f.metadataUrl),
        attributeMapping,
        idpSignout: true,
      });
    return new cognito.UserPoolIdentityProviderOidc(this, 'Oidc', {
      userPool: this.userPool,
      name: f.name,
      issuerUrl: f.issuerUrl,
      clientId: f.clientId,
      // The secret stays in Secrets Manager; CloudFormation resolves it at deploy time.
      clientSecret: `{{resolve:secretsmanager:${f.clientSecretArn}:SecretString}}`,
      scopes: ['openid', 'email', 'profile'],
      attributeRequestMethod: cognito.OidcAttributeRequestMethod.GET,
      attributeMapping,
    });
  }
}

const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));
const BUILD_SCRIPT = fileURLToPath(new URL('./console-build.ts', import.meta.url));

/**
 * The console's files, built at synth time by `console/build.ts` (esbuild, offline, in a child
 * process: CDK bundles synchronously). Stacks synthesized with bundling skipped (the infra tests)
 * do not build it.
 */
const consoleSource = (): s3deploy.ISource =>
  s3deploy.Source.asset(CONSOLE_DIR, {
    exclude: ['node_modules'],
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:20-slim'),
      local: {
        tryBundle(outputDir: string): boolean {
          execFileSync(process.execPath, ['--import', 'tsx', BUILD_SCRIPT, outputDir], { stdio: 'inherit' });
          return true;
        },
      },
    },
  });
