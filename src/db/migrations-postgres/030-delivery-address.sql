-- Where the driver takes the order, as one line ("Kerkstraat 12, 1017 GC Amsterdam"); NULL for a
-- pick-up order and for orders stored before addresses existed.
ALTER TABLE orders ADD COLUMN delivery_address TEXT;
