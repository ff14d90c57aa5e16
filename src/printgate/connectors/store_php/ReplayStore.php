<?php

interface PrintgateReplayStore
{
    /** Record a webhook-id; false when it was already seen. */
    public function remember($messageId, $now);
}
