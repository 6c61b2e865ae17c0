-- SPEC POS-3: every existing card gets a fractional-index position (the `fractional-indexing`
-- package's integer keys a0, a1, ... az, b00, ...) in its column's current display order
-- (position, then id, compared as plain strings as the client does). An mvr card's position
-- register values get the same key. A board whose cards were re-keyed moves its head past
-- every cached seq and its log floor with it, so every tab's next join takes a fresh snapshot
-- (FEED-2) instead of keeping the old keys.
WITH ranked AS (
  SELECT id, row_number() OVER (PARTITION BY board_id, status ORDER BY position COLLATE "C", id COLLATE "C") - 1 AS n
  FROM cards
), keyed AS (
  SELECT id, CASE
    WHEN n < 62 THEN 'a' || substr(d, (n % 62)::int + 1, 1)
    WHEN n < 3844 THEN 'b' || substr(d, (n / 62 % 62)::int + 1, 1) || substr(d, (n % 62)::int + 1, 1)
    WHEN n < 238328 THEN 'c' || substr(d, (n / 3844 % 62)::int + 1, 1) || substr(d, (n / 62 % 62)::int + 1, 1) || substr(d, (n % 62)::int + 1, 1)
    ELSE 'd' || substr(d, (n / 238328 % 62)::int + 1, 1) || substr(d, (n / 3844 % 62)::int + 1, 1) || substr(d, (n / 62 % 62)::int + 1, 1) || substr(d, (n % 62)::int + 1, 1)
  END AS key
  FROM ranked, (SELECT '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'::text AS d) digits
), rekeyed AS (
  UPDATE cards c SET
    position = k.key,
    registers = CASE
      WHEN jsonb_typeof(c.registers -> 'position') = 'array' THEN jsonb_set(c.registers, '{position}',
        (SELECT coalesce(jsonb_agg(jsonb_set(v, '{value}', to_jsonb(k.key))), '[]'::jsonb) FROM jsonb_array_elements(c.registers -> 'position') v))
      ELSE c.registers
    END
  FROM keyed k
  WHERE c.id = k.id AND c.position IS DISTINCT FROM k.key
  RETURNING c.board_id
)
UPDATE board_heads SET seq = seq + 1, floor = seq + 1 WHERE board_id IN (SELECT board_id FROM rekeyed);
