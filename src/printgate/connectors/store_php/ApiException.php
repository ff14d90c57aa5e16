<?php

class PrintgateApiException extends Exception
{
    /** @var int HTTP status, 0 when no response arrived */
    public $status;

    public function __construct($message, $status = 0)
    {
        parent::__construct($message);
        $this->status = (int) $status;
    }
}
