CREATE TABLE "applied_mutations" (
	"mutation_id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"card_id" text NOT NULL,
	"result" jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "board_heads" (
	"board_id" text PRIMARY KEY NOT NULL,
	"seq" bigint DEFAULT 0 NOT NULL,
	"floor" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cards" (
	"id" text PRIMARY KEY NOT NULL,
	"board_id" text NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"status" text NOT NULL,
	"position" text NOT NULL,
	"tags" jsonb NOT NULL,
	"estimate" integer,
	"version" integer NOT NULL,
	"field_versions" jsonb NOT NULL,
	"hlc" jsonb,
	"registers" jsonb,
	"clock" jsonb,
	"fence" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "changes" (
	"board_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"type" text NOT NULL,
	"card_id" text NOT NULL,
	"card" jsonb,
	"mutation_id" text NOT NULL,
	"by" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "changes_board_id_seq_pk" PRIMARY KEY("board_id","seq")
);
--> statement-breakpoint
CREATE INDEX "cards_board_idx" ON "cards" USING btree ("board_id");--> statement-breakpoint
CREATE INDEX "changes_card_idx" ON "changes" USING btree ("card_id");