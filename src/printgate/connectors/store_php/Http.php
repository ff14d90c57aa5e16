<?php

/**
 * The HTTP seam: the API client talks to a PrintgateTransport, so tests inject a fake one and
 * the shops use cURL.
 */

class PrintgateCurlTransport implements PrintgateTransport
{
    public function request($method, $url, array $headers, $body = null, $sink = null, $timeout = 15)
    {
        $ch = curl_init($url);
        $lines = array();
        foreach ($headers as $name => $value) {
            $lines[] = $name . ': ' . $value;
        }
        $respHeaders = array();
        $buffer = '';
        curl_setopt_array($ch, array(
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_HTTPHEADER => $lines,
            CURLOPT_CONNECTTIMEOUT => 5,
            CURLOPT_TIMEOUT => (int) $timeout,
            CURLOPT_FOLLOWLOCATION => true,
            CURLOPT_MAXREDIRS => 3,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
            CURLOPT_HEADERFUNCTION => function ($ch, $line) use (&$respHeaders) {
                $parts = explode(':', $line, 2);
                if (count($parts) === 2) {
                    $respHeaders[strtolower(trim($parts[0]))] = trim($parts[1]);
                }

                return strlen($line);
            },
            CURLOPT_WRITEFUNCTION => function ($ch, $chunk) use (&$buffer, $sink, &$respHeaders) {
                $code = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
                if ($sink !== null && $code >= 200 && $code < 300) {
                    // The response headers go along, so a proxy can pass on the file's real type.
                    call_user_func($sink, $chunk, $respHeaders);
                } else {
                    $buffer .= $chunk;
                }

                return strlen($chunk);
            },
        ));
        if ($body !== null) {
            curl_setopt($ch, CURLOPT_POSTFIELDS, $body);
        }
        $ok = curl_exec($ch);
        if ($ok === false) {
            $error = curl_error($ch);
            curl_close($ch);
            throw new PrintgateTransportException($error !== '' ? $error : 'request failed');
        }
        $status = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        curl_close($ch);

        return new PrintgateResponse($status, $respHeaders, $buffer);
    }
}
