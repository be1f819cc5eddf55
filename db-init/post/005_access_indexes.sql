-- Phase 4 (docs/access-model.md, "Speed"): the index the access rules'
-- membership lookup uses. Every rule of a member reaches
-- organization_users through the path organization_id.members and asks
-- for the person (user_id = $CURRENT_USER) and a role; PostgreSQL
-- restricts organization_users to that person's rows before joining
-- (every arm of the OR names the person), which this index answers
-- without reading the table. The UNIQUE (organization_id, user_id) of
-- 001 leads with the organisation and cannot serve it.
--
-- Runs after Directus applied snapshots/schema.yaml. Multi-column on
-- purpose: Directus shows a single-column index in its snapshot
-- (is_indexed), which would make the schema drift.

DO $$
BEGIN
  IF to_regclass('organization_users') IS NULL THEN
    RAISE EXCEPTION '005_access_indexes: the table organization_users does not exist'
      USING HINT = 'post-schema db-init runs after Directus applied snapshots/schema.yaml';
  END IF;
END
$$;

CREATE INDEX IF NOT EXISTS organization_users_user_role ON organization_users (user_id, role, organization_id);

DO $$
DECLARE
  got record;
BEGIN
  SELECT am.amname::text AS method, ix.indrelid,
         (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum) AS cols
    INTO got
    FROM pg_class c JOIN pg_index ix ON ix.indexrelid = c.oid JOIN pg_am am ON am.oid = c.relam
   WHERE c.oid = to_regclass('organization_users_user_role');
  IF NOT FOUND OR got.method <> 'btree' OR got.indrelid <> to_regclass('organization_users')
     OR got.cols <> 'user_id,role,organization_id' THEN
    RAISE EXCEPTION '005_access_indexes: index organization_users_user_role is missing or not a btree index of organization_users on (user_id, role, organization_id)';
  END IF;
END
$$;
