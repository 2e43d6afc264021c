-- /forget must reach everything that finds or names a customer, and what a
-- manager types into /find does: the first letters of a surname, part of
-- a phone, words the customer wrote. So the log keeps no typed text any
-- more. A /find line records the leads it returned (lead_ids), which name
-- nobody once their customer is forgotten; other commands keep their
-- argument only as the command understood it (a period, a lead id), and a
-- refused argument is not kept. Lines written before lose the same.
ALTER TABLE staff_log ADD COLUMN lead_ids bigint[] NOT NULL DEFAULT '{}';
UPDATE staff_log SET args = '' WHERE (command = 'find' OR outcome = 'invalid') AND args <> '';
