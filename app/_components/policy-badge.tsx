import type { Policy } from "../../lib/protocol";
import { POLICY_LABEL, POLICY_SUMMARY } from "../_lib/format";

export function PolicyBadge({ policy }: { policy: Policy }) {
  return (
    <span className={`badge badge-${policy}`} title={POLICY_SUMMARY[policy]} data-testid="policy-badge">
      {POLICY_LABEL[policy]}
    </span>
  );
}
