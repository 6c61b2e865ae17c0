import { userHandle } from "../../lib/protocol";
import { avatarColor, initials } from "../_lib/format";

export function Avatar({ id, name, small = false, suffix }: { id: string; name: string; small?: boolean; suffix?: string }) {
  // SPEC ACCOUNT-3: the handle tells two people of one name apart.
  const person = `${name} #${userHandle(id)}`;
  const label = suffix ? `${person} ${suffix}` : person;
  return (
    <span className={small ? "avatar avatar-sm" : "avatar"} style={{ background: avatarColor(id) }} title={label} aria-label={label} role="img">
      {initials(name)}
    </span>
  );
}
