import { avatarColor, initials } from "../_lib/format";

export function Avatar({ id, name, small = false, suffix }: { id: string; name: string; small?: boolean; suffix?: string }) {
  const label = suffix ? `${name} ${suffix}` : name;
  return (
    <span className={small ? "avatar avatar-sm" : "avatar"} style={{ background: avatarColor(id) }} title={label} aria-label={label} role="img">
      {initials(name)}
    </span>
  );
}
