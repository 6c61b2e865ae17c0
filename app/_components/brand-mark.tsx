import Link from "next/link";

/** The Concord logo: two replicas overlapping into one shared state. */
export function BrandMark({ href = "/" }: { href?: string }) {
  return (
    <Link className="brand" href={href}>
      <svg width="22" height="22" viewBox="0 0 22 22" aria-hidden="true">
        <circle cx="8" cy="11" r="6.5" fill="#4656e0" opacity="0.9" />
        <circle cx="14" cy="11" r="6.5" fill="#7b88f0" opacity="0.75" />
      </svg>
      Concord
    </Link>
  );
}
