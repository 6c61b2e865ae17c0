CREATE TABLE "concord_epoch" (
	"id" integer PRIMARY KEY NOT NULL,
	"epoch" bigint NOT NULL
);
--> statement-breakpoint
INSERT INTO "concord_epoch" ("id", "epoch") VALUES (1, 1) ON CONFLICT DO NOTHING;--> statement-breakpoint
-- SPEC STANDBY-3: a write statement whose connection believes in another epoch than this shard's
-- row is refused (SQLSTATE CC001). Connections without the setting (tools, migrations) pass.
CREATE OR REPLACE FUNCTION concord_check_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  want text := current_setting('concord.epoch', true);
  have bigint;
BEGIN
  IF want IS NULL OR want = '' THEN RETURN NULL; END IF;
  SELECT epoch INTO have FROM concord_epoch WHERE id = 1;
  IF have IS DISTINCT FROM want::bigint THEN
    RAISE EXCEPTION 'shard epoch is %, the writer believes in %: this server is fenced', have, want USING ERRCODE = 'CC001';
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER concord_epoch_cards BEFORE INSERT OR UPDATE OR DELETE ON "cards" FOR EACH STATEMENT EXECUTE FUNCTION concord_check_epoch();--> statement-breakpoint
CREATE TRIGGER concord_epoch_changes BEFORE INSERT OR UPDATE OR DELETE ON "changes" FOR EACH STATEMENT EXECUTE FUNCTION concord_check_epoch();--> statement-breakpoint
CREATE TRIGGER concord_epoch_heads BEFORE INSERT OR UPDATE OR DELETE ON "board_heads" FOR EACH STATEMENT EXECUTE FUNCTION concord_check_epoch();--> statement-breakpoint
CREATE TRIGGER concord_epoch_applied BEFORE INSERT OR UPDATE OR DELETE ON "applied_mutations" FOR EACH STATEMENT EXECUTE FUNCTION concord_check_epoch();
