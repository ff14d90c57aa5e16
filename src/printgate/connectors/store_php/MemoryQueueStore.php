<?php

class PrintgateMemoryQueueStore implements PrintgateQueueStore
{
    /** @var array<int,array<string,mixed>> */
    public $rows = array();
    private $nextId = 1;

    public function add(array $row)
    {
        $id = $this->nextId++;
        $this->rows[$id] = $row + array('id' => $id, 'status' => 'pending', 'attempts' => 0, 'last_error' => '', 'locked_until' => 0);

        return $id;
    }

    public function supersede($orderId, $keepId)
    {
        foreach ($this->rows as $id => $row) {
            if ($id !== $keepId && $row['order_id'] === (string) $orderId && $row['status'] === 'pending') {
                $this->rows[$id]['status'] = 'superseded';
            }
        }
    }

    public function due($now, $limit)
    {
        $out = array();
        foreach ($this->rows as $row) {
            if ($row['status'] === 'pending' && $row['next_attempt_at'] <= $now && count($out) < $limit) {
                $out[] = $row;
            }
        }

        return $out;
    }

    public function claim($id, $now)
    {
        if (!isset($this->rows[$id]) || $this->rows[$id]['locked_until'] > $now) {
            return false;
        }
        $this->rows[$id]['locked_until'] = $now + 60;

        return true;
    }

    public function update($id, array $fields)
    {
        $this->rows[$id] = array_merge($this->rows[$id], $fields);
    }

    public function find($id)
    {
        return isset($this->rows[$id]) ? $this->rows[$id] : null;
    }
}
