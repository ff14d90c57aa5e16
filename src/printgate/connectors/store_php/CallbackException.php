<?php

class PrintgateCallbackException extends Exception
{
    /** @var int the HTTP status to answer with */
    public $status;

    public function __construct($message, $status)
    {
        parent::__construct($message);
        $this->status = (int) $status;
    }
}
