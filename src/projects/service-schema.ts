import { FORMATS } from '../editors/registry.js'
import { WINDOWS_SCHEMA } from '../windows/window-schema.js'

/**
 * The JSON Schema of a service folder's infra-sync.yaml: the parser checks
 * every file with it, and `npm run schemas` publishes it as
 * schemas/infra-sync.schema.json for editors. What a schema cannot say (a
 * valid policy, image name, safe path) is checked by parseServiceConfig.
 */
const policy = {
  type: 'string',
  minLength: 1,
  description:
    'Which builds may deploy and how they are ordered: newest-build (by the event\'s builtAt), semver or semver:<range>, regex:<re> (ordered by the named group "order"), digest or digest:<tag>.',
  examples: ['newest-build', 'semver', 'semver:>=1.0.0', 'regex:^main-(?<order>\\d+)-[0-9a-f]+$', 'digest:latest'],
}

const format = {
  type: 'string',
  enum: [...FORMATS],
  description: 'The editor to use instead of detecting one: kustomize (a kustomization\'s images:), helm (values files), manifests (workload containers) or markers (values marked with # infra-sync: <image> or Flux setters).',
}

const key = {
  type: 'string',
  minLength: 1,
  description: 'Where in a Helm values file the image is: api.image (a map with repository/tag, or a repo:tag string), api.image.tag, workers[0].image. A key implies format helm.',
  examples: ['image.tag', 'api.image', 'workers[0].image'],
}

const merge = {
  type: 'string',
  enum: ['manual', 'auto'],
  default: 'manual',
  description: 'How the pull request is merged: manual (a person merges it) or auto (GitHub auto-merge once its required checks pass; merged directly when it already may be). Only with update: pull-request.',
}

const mergeMethod = {
  type: 'string',
  enum: ['merge', 'squash', 'rebase'],
  default: 'merge',
  description: 'The merge method infra-sync asks for when it merges (merge: auto). Only with update: pull-request.',
}

const reviewers = {
  type: 'array',
  uniqueItems: true,
  items: {
    type: 'string',
    pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,38}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99})?$',
    description: 'A user login, or org/team-slug for a team.',
  },
  default: [],
  description: 'Who is asked to review the pull request: user logins and org/team slugs. Only with update: pull-request.',
  examples: [['alice', 'acme/platform']],
}

const labels = {
  type: 'array',
  uniqueItems: true,
  items: { type: 'string', minLength: 1, maxLength: 50, description: 'A label name (GitHub allows 50 characters).' },
  default: [],
  description: 'Labels put on the pull request. Only with update: pull-request.',
  examples: [['deploy', 'prod']],
}

const environment = {
  type: ['object', 'null'],
  additionalProperties: false,
  description: 'One environment of the service. Empty: the defaults (path overlays/<name>, update commit).',
  properties: {
    path: {
      type: 'string',
      minLength: 1,
      default: 'overlays/<name>',
      description: 'The environment folder, relative to the service folder; . is the service folder itself. Paths that leave the folder, are absolute or touch .git are refused.',
    },
    update: {
      type: 'string',
      enum: ['commit', 'pull-request'],
      default: 'commit',
      description:
        'commit: push to the branch. pull-request: propose the change on the branch infra-sync/<service>/<environment> and open (or update in place) one pull request for it, when a forge is configured; without one the environment is skipped with pull-request-unavailable.',
    },
    merge,
    mergeMethod,
    reviewers,
    labels,
    policy: { ...policy, description: `Overrides the service's policy for this environment. ${policy.description}` },
    file: { type: 'string', minLength: 1, description: 'The file to edit in the environment folder, instead of the detected ones.' },
    format,
    key,
    pin: {
      type: ['boolean', 'string', 'null'],
      description: 'true or a tag ("1.4.0", quoted): events never change this environment; a human holds it.',
    },
    windows: { ...WINDOWS_SCHEMA, description: `This environment's deploy windows: they replace the service's and the server's. ${WINDOWS_SCHEMA.description}` },
    promote: {
      type: 'object',
      additionalProperties: false,
      required: ['from'],
      description: 'Promotion: a build reaches this environment only after `from` runs exactly that build and Argo CD reports its Application Synced at the commit that deployed it and Healthy for healthyFor.',
      properties: {
        from: { type: 'string', minLength: 1, description: 'The environment of this service the build must be healthy in first (dev, canary).' },
        healthyFor: { type: 'string', default: '0s', description: 'How long `from` must stay Healthy at the build: 30s, 10m, 8h.', examples: ['10m'] },
      },
    },
    application: {
      type: 'string',
      pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
      maxLength: 253,
      default: '<service>-<environment>',
      description: "The Argo CD Application that deploys this environment, whose health promotion reads (default: the ApplicationSet convention <service>-<environment>).",
    },
  },
}

export const SERVICE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'infra-sync.yaml',
  description: 'A service folder in the infra repo: which builds may update it, and how. Only source and image are required.',
  type: 'object',
  required: ['source', 'image'],
  additionalProperties: false,
  properties: {
    source: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$',
      maxLength: 200,
      description: 'The owner/repo whose signed events may change this service. Case-insensitive.',
      examples: ['acme/orders-api'],
    },
    image: {
      type: 'string',
      minLength: 1,
      description: 'The image this service deploys, without a tag. nginx means docker.io/library/nginx; matched exactly.',
      examples: ['ghcr.io/acme/orders-api'],
    },
    branches: {
      type: ['string', 'array'],
      minLength: 1,
      minItems: 1,
      items: { type: 'string', minLength: 1 },
      default: ['main'],
      description: 'Refs whose builds may deploy. A name or glob means refs/heads/<it>; write refs/tags/v* for tags. An event without a ref is skipped.',
    },
    policy: { ...policy, default: 'newest-build' },
    format: { ...format, description: `The default format of every environment. ${format.description}` },
    key: { ...key, description: `The default key of every environment. ${key.description}` },
    merge: { ...merge, description: `The default for every pull-request environment. ${merge.description}` },
    mergeMethod: { ...mergeMethod, description: `The default for every pull-request environment. ${mergeMethod.description}` },
    reviewers: { ...reviewers, description: `The default for every pull-request environment (an environment's own list replaces it). ${reviewers.description}` },
    labels: { ...labels, description: `The default for every pull-request environment (an environment's own list replaces it). ${labels.description}` },
    imagePolicies: {
      type: ['string', 'array'],
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$',
      items: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$', description: 'A Flux ImagePolicy as namespace:name.' },
      description: 'Flux ImagePolicy names (namespace:name) whose $imagepolicy setter markers mean this image.',
      examples: [['flux-system:orders-api']],
    },
    notify: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
      description: "Notification targets, by their names in the server's infra-sync.config.yaml (notifications.targets), told when this service is deployed, proposed, fails or is given up on.",
      examples: [['ops', 'audit']],
    },
    windows: { ...WINDOWS_SCHEMA, description: `Deploy windows of every environment without its own: they replace the server's. ${WINDOWS_SCHEMA.description}` },
    environments: {
      type: ['object', 'null'],
      propertyNames: {
        pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
        description: 'An environment name: lower-case letters, digits and -, as in a Kubernetes name.',
      },
      additionalProperties: { $ref: '#/definitions/environment' },
      description: 'The environments, by name. Default: one per overlays/* folder, updated by commit.',
    },
  },
  definitions: { environment },
} as const
