/**
 * Where secrets named in settings (`${secret:NAME}`, `passwordSecret`, `apiKeySecret`) come from: the CLI reads the
 * environment variable NAME, the editor its secret storage. Values are never written to settings, logs or manifests.
 */
export interface SecretSource {
  get(name: string): Promise<string | undefined>;
  /** How a missing secret is set, for the error message ("environment variable X", "Retrieval Lens: Set Secret…"). */
  describe(name: string): string;
}

export const environmentSecrets: SecretSource = {
  get: async (name) => process.env[name],
  describe: (name) => `environment variable ${name}`,
};

/** Replaces every `${secret:NAME}` in `text`; a secret that is not set is an error naming where it is set. */
export async function resolveSecrets(text: string, secrets: SecretSource): Promise<string> {
  const names = [...text.matchAll(/\$\{secret:([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]);
  let out = text;
  for (const n of new Set(names)) {
    const v = await secrets.get(n);
    if (v === undefined || v === '') throw new Error(`secret ${n} is not set (${secrets.describe(n)})`);
    out = out.split(`\${secret:${n}}`).join(v);
  }
  return out;
}
