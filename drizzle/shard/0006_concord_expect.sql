-- SPEC PERF-7: a batch sent in one round trip, on what the node remembers of its board, states
-- each row it counted on; a row that changed since aborts the transaction (SQLSTATE CC002), so
-- the COMMIT sent behind it keeps nothing and the node runs the batch again on fresh reads.
CREATE OR REPLACE FUNCTION concord_expect(ok boolean, what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION '% changed since this node read it', what USING ERRCODE = 'CC002';
  END IF;
  RETURN true;
END $$;
