<?php

interface PrintgateTransport
{
    /**
     * Send one request. With $sink, the body is passed to it chunk by chunk instead of being kept.
     *
     * @param array<string,string> $headers
     * @param callable|null $sink function (string $chunk, array $headers = array()): void, the
     *        response's headers (lower-case names) passed along with each chunk
     * @throws PrintgateTransportException when no HTTP response arrived (DNS, refused, timeout)
     */
    public function request($method, $url, array $headers, $body = null, $sink = null, $timeout = 15);
}
