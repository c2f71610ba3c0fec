-- Which side of the exchange an event judged: `request` (everything before
-- this column) or `response` (the model's answer, masked or refused).
ALTER TABLE events ADD COLUMN stage text NOT NULL DEFAULT 'request';
