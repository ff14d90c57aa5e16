<?php

class PrintgateResponse
{
    /** @var int */
    public $status;
    /** @var array<string,string> lower-case names */
    public $headers;
    /** @var string */
    public $body;

    public function __construct($status, array $headers = array(), $body = '')
    {
        $this->status = (int) $status;
        $this->headers = array_change_key_case($headers, CASE_LOWER);
        $this->body = (string) $body;
    }

    public function ok()
    {
        return $this->status >= 200 && $this->status < 300;
    }

    /** @return array<mixed>|null */
    public function json()
    {
        $data = json_decode($this->body, true);

        return is_array($data) ? $data : null;
    }
}
