<?php

class PrintgateMemoryReplayStore implements PrintgateReplayStore
{
    /** @var array<string,int> */
    public $seen = array();

    public function remember($messageId, $now)
    {
        if (isset($this->seen[$messageId])) {
            return false;
        }
        $this->seen[$messageId] = (int) $now;

        return true;
    }
}
