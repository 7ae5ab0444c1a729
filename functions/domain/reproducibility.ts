/**
 * What it takes to rebuild a version, and what is missing: the code commit, the image digest,
 * every dataset with a content identity (a SHA-256 or an S3 object version) and the params.
 * Paths name the registration fields, so a refusal can list them as a 400's `errors`.
 */
export interface LineageInput {
  datasets?: { uri: string; sha256?: string; versionId?: string; role?: string }[];
  code?: { repository: string; commit: string };
  image?: { uri: string; digest: string };
  trainingRun?: { id: string; uri?: string };
}

export interface Missing {
  path: string;
  message: string;
}

export const missingForReproducibility = (input: {
  lineage?: LineageInput | undefined;
  params?: Record<string, unknown> | undefined;
}): Missing[] => {
  const missing: Missing[] = [];
  const lineage = input.lineage ?? {};
  if (!lineage.code?.commit)
    missing.push({ path: 'lineage.code', message: 'the code repository and commit' });
  if (!lineage.image?.digest) missing.push({ path: 'lineage.image', message: 'the image URI and digest' });
  if (!lineage.datasets?.length) missing.push({ path: 'lineage.datasets', message: 'at least one dataset' });
  lineage.datasets?.forEach((d, i) => {
    if (!d.sha256 && !d.versionId)
      missing.push({ path: `lineage.datasets.${i}.sha256`, message: `a sha256 or versionId for ${d.uri}` });
  });
  if (input.params === undefined)
    missing.push({ path: 'params', message: 'the training params (an empty object if none)' });
  return missing;
};
