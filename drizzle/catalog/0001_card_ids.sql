CREATE TABLE "card_ids" (
	"card_id" text PRIMARY KEY NOT NULL,
	"board_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
