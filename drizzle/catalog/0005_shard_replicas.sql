CREATE TABLE "shard_replicas" (
	"shard" text PRIMARY KEY NOT NULL,
	"epoch" bigint NOT NULL,
	"primary" integer NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
