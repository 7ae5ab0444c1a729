/** The shapes the console reads from `/v1` (the fields it shows; the API may send more). */
export interface Model {
  name: string;
  description?: string;
  owner: string;
  owners?: string[];
  tags: Record<string, string>;
  riskTier?: 'low' | 'medium' | 'high';
  purpose?: string;
  latestVersion: number;
  aliases?: Record<string, number>;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export interface InventoryRow {
  name: string;
  owner: string;
  purpose?: string;
  riskTier?: string;
  versions: number;
  deployed: Record<string, { version: number; since: string }>;
  lastApproval?: { id: string; environment: string; version: number; status: string; at: string };
  lastDriftStatus?: string;
  health?: string;
  validityEnd?: string;
  updatedAt: string;
}

export interface ArtifactFile {
  path: string;
  sha256: string;
  sizeBytes: number;
}

export interface Version {
  name: string;
  version: number;
  status: string;
  statusReason?: string;
  artifact: { sha256: string; sizeBytes: number; fileName?: string; uri: string; files?: ArtifactFile[] };
  framework?: string;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  lineage: Record<string, unknown>;
  description?: string;
  tags: Record<string, string>;
  approvals: { environment: string; id?: string; status?: string }[];
  deployments: { environment: string; target: string; deploymentId?: string }[];
  createdAt: string;
  createdBy: string;
}

export interface ApprovalGroup {
  name: string;
  minApprovals: number;
  approvals: number;
  done: boolean;
}

export interface Decision {
  by: string;
  decision: 'approve' | 'reject';
  comment?: string;
  at: string;
  group?: string;
}

export interface Approval {
  id: string;
  model: string;
  version: number;
  environment: string;
  status: string;
  reason?: string;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  requiredApprovals: number;
  groups: ApprovalGroup[];
  approvers: string[];
  decisions: Decision[];
  decidedAt?: string;
  outcomeReason?: string;
}

export interface Target {
  kind: 'sagemaker' | 'lambda' | 'sagemaker-batch';
  endpointName?: string;
  functionName?: string;
  alias?: string;
  jobName?: string;
  [k: string]: unknown;
}

export interface Deployment {
  id: string;
  model: string;
  version: number;
  environment: string;
  target: Target;
  status: string;
  statusReason?: string;
  operation: string;
  reason?: string;
  history: { at: string; status?: string; event?: string; [k: string]: unknown }[];
  previousVersion?: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export interface Served {
  environment: string;
  targetId: string;
  model: string;
  version: number;
  deploymentId: string;
  from: string;
  to?: string;
}

export interface FeatureDrift {
  name: string;
  kind: 'numeric' | 'categorical';
  psi: number | null;
  jsDistance: number | null;
  drifted: boolean;
}

export interface DriftRun {
  id: string;
  deploymentId: string;
  at?: string;
  createdAt?: string;
  window: { from: string; to: string };
  rows: number;
  features: FeatureDrift[];
  driftedShare: number;
  status?: string;
}

export interface AuditEvent {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  hash: string;
  prevHash: string;
  before?: unknown;
  after?: unknown;
}

export interface Environment {
  name: string;
  approval: { required: boolean; groups: { name: string; members: string[]; minApprovals: number }[] };
  requireReproducibility: boolean;
  approvalTtlHours?: number;
  account?: { id: string; deployRoleArn: string };
  updatedAt?: string;
  updatedBy?: string;
}
