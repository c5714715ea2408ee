/** The S3 flags every command that reads s3:// paths takes, mapped onto the sluice.s3.* settings. */

export const S3_FLAGS = {
  endpoint: { type: 'string' }, region: { type: 'string' }, 'path-style': { type: 'boolean' },
} as const;

export const S3_FLAGS_USAGE = `  --endpoint URL    S3 endpoint (else AWS_ENDPOINT_URL_S3, else AWS)
  --region NAME     S3 region (else AWS_REGION, else us-east-1)
  --path-style      path-style S3 addressing (else SLUICE_S3_FORCE_PATH_STYLE)
Credentials come from the standard AWS chain (environment, profile, role).`;

/** The session settings the flags stand for; the environment fills in the rest. */
export function s3Conf(v: { endpoint?: string; region?: string; 'path-style'?: boolean }): Map<string, string> {
  const conf = new Map<string, string>();
  if (v.endpoint !== undefined) conf.set('sluice.s3.endpoint', v.endpoint);
  if (v.region !== undefined) conf.set('sluice.s3.region', v.region);
  if (v['path-style']) conf.set('sluice.s3.forcePathStyle', 'true');
  return conf;
}
