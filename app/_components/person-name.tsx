import { userHandle } from "../../lib/protocol";

/** A person as Concord shows them (SPEC ACCOUNT-3): their name and their handle, so two Alices differ. */
export function PersonName({ id, name }: { id: string; name: string }) {
  return (
    <span className="person-name">
      {name} <span className="person-handle">#{userHandle(id)}</span>
    </span>
  );
}
