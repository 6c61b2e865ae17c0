import type { FieldName, Patch } from "../protocol";

/**
 * Field-level optimistic concurrency (SPEC OCC-2): a patch based on `baseVersion` conflicts on
 * exactly the fields it touches that changed after that version. Fields it does not touch never
 * conflict, so two people editing different fields of one card both succeed. `touched`: the
 * patch, or the field names themselves (a delete or a move touches them all).
 */
export function occConflicts(
  fieldVersions: Partial<Record<FieldName, number>>,
  baseVersion: number,
  touched: Patch | readonly FieldName[],
): FieldName[] {
  const fields = Array.isArray(touched) ? (touched as readonly FieldName[]) : (Object.keys(touched) as FieldName[]);
  return fields.filter((f) => (fieldVersions[f] ?? 0) > baseVersion);
}
