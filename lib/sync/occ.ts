import type { FieldName, Patch } from "../protocol";

/**
 * Field-level optimistic concurrency (SPEC OCC-2): a patch based on `baseVersion` conflicts on
 * exactly the fields it touches that changed after that version. Fields it does not touch never
 * conflict, so two people editing different fields of one card both succeed.
 */
export function occConflicts(
  fieldVersions: Partial<Record<FieldName, number>>,
  baseVersion: number,
  patch: Patch,
): FieldName[] {
  return (Object.keys(patch) as FieldName[]).filter((f) => (fieldVersions[f] ?? 0) > baseVersion);
}
