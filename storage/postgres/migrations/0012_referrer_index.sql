-- 0012: the leads a customer's personal link brought (referrer = their
-- referral code), for /lead of the referrer. Most leads have no referrer,
-- so the index holds only those that do.
CREATE INDEX leads_referrer_idx ON leads (referrer) WHERE referrer <> '';
