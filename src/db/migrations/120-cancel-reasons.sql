-- Why an order was cancelled ("Out of stock", "Customer cancelled"), as staff or the shop said it:
-- kept on the status change that cancelled it. NULL for every other change, and for a cancel
-- without a reason.
ALTER TABLE order_status_changes ADD COLUMN reason TEXT;
