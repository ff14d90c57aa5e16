<?php

interface PrintgateQueueStore
{
    /** @param array{order_id:string,message_id:string,body:string,next_attempt_at:int,created_at:int} $row @return int id */
    public function add(array $row);

    /** Mark the order's still-pending messages other than $keepId superseded. */
    public function supersede($orderId, $keepId);

    /** @return array<int,array<string,mixed>> pending rows with next_attempt_at <= $now, oldest first */
    public function due($now, $limit);

    /** Take a row for sending; false when another request holds it. */
    public function claim($id, $now);

    /** @param array<string,mixed> $fields status, attempts, next_attempt_at, last_error, delivered_at */
    public function update($id, array $fields);

    /** @return array<string,mixed>|null */
    public function find($id);
}
