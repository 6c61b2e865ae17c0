ALTER TABLE "boards" ADD COLUMN "archived_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "boards" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "password_hash" text;--> statement-breakpoint
CREATE UNIQUE INDEX "users_account_name_idx" ON "users" USING btree (lower("name")) WHERE password_hash IS NOT NULL;--> statement-breakpoint
CREATE INDEX "users_name_idx" ON "users" USING btree (lower("name"));