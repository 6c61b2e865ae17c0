DROP INDEX "cards_board_idx";--> statement-breakpoint
CREATE INDEX "cards_board_page_idx" ON "cards" USING btree ("board_id","position","id");