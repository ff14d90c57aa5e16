<?php

/**
 * One shape for "this line's files" on the admin order page, whether it comes live from
 * GET /jobs/{id}?expand=runs or from a stored callback: {jobId, status, outcome, canProceed,
 * runs:[{id, name, status, outcome, hasOutput, downloadUrl, thumbnail, proofs:[url]}]}.
 * URLs stay server-side: templates only get proxy links built from jobId, run id and proof index
 * (or "thumbnail": the run's thumbnail preview, else its first preview).
 */

class PrintgateFilesView
{
    /** @return array<string,mixed>|null */
    public static function job($job)
    {
        if (!is_array($job)) {
            return null;
        }
        $jobId = isset($job['jobId']) ? $job['jobId'] : (isset($job['id']) ? $job['id'] : '');
        if (!is_string($jobId) || $jobId === '') {
            return null;
        }
        $runs = array();
        if (isset($job['runs']) && is_array($job['runs'])) {
            foreach (array_values($job['runs']) as $index => $run) {
                if (!is_array($run)) {
                    continue;
                }
                $proofs = array();
                if (isset($run['proofs']) && is_array($run['proofs'])) {
                    foreach ($run['proofs'] as $proof) {
                        $url = is_array($proof) ? (isset($proof['url']) ? $proof['url'] : '') : $proof;
                        if (is_string($url) && $url !== '') {
                            $proofs[] = $url;
                        }
                    }
                }
                $thumbnail = self::thumbnailUrl($run);
                $download = isset($run['downloadUrl']) && is_string($run['downloadUrl']) ? $run['downloadUrl'] : '';
                $runs[] = array(
                    'id' => isset($run['id']) ? (string) $run['id'] : '#' . $index,
                    'name' => isset($run['name']) ? (string) $run['name'] : 'file-' . ($index + 1),
                    'status' => isset($run['status']) ? (string) $run['status'] : '',
                    'outcome' => isset($run['outcome']) ? (string) $run['outcome'] : '',
                    'hasOutput' => isset($run['hasOutput']) ? (bool) $run['hasOutput'] : $download !== '',
                    'downloadUrl' => $download,
                    'thumbnail' => $thumbnail,
                    'proofs' => $proofs,
                );
            }
        }

        return array(
            'jobId' => $jobId,
            'status' => isset($job['status']) ? (string) $job['status'] : '',
            'outcome' => isset($job['outcome']) ? (string) $job['outcome'] : '',
            'canProceed' => !empty($job['canProceed']),
            'runs' => $runs,
        );
    }

    /** The signed URL of a run's thumbnail: its "thumbnail" preview, else its first preview, else ''. */
    public static function thumbnailUrl(array $run)
    {
        if (isset($run['thumbnail']) && is_string($run['thumbnail'])) {
            return $run['thumbnail']; // already normalized
        }
        $first = '';
        $previews = isset($run['previews']) && is_array($run['previews']) ? $run['previews'] : array();
        foreach ($previews as $preview) {
            $url = is_array($preview) && isset($preview['url']) && is_string($preview['url']) ? $preview['url'] : '';
            if ($url === '') {
                continue;
            }
            if (isset($preview['kind']) && $preview['kind'] === 'thumbnail') {
                return $url;
            }
            $first = $first === '' ? $url : $first;
        }
        if ($first === '' && isset($run['thumbnailUrl']) && is_string($run['thumbnailUrl'])) {
            $first = $run['thumbnailUrl'];
        }

        return $first;
    }

    /** Find a run of a normalized job by its id (or "#index" for runs that came without one). */
    public static function run(array $job, $runId)
    {
        foreach ($job['runs'] as $run) {
            if ($run['id'] === (string) $runId) {
                return $run;
            }
        }

        return null;
    }

    /** A file name safe for Content-Disposition. */
    public static function safeFileName($name, $fallback = 'print-file')
    {
        $clean = preg_replace('/[^A-Za-z0-9._-]+/', '_', basename((string) $name));
        $clean = trim((string) $clean, '._');

        return $clean !== '' ? $clean : $fallback;
    }

    /** The image to stream inline for $image (a proof index, or THUMBNAIL), '' when the run has none. */
    public static function imageUrl(array $run, $image)
    {
        if ($image === self::THUMBNAIL) {
            return isset($run['thumbnail']) ? (string) $run['thumbnail'] : '';
        }

        return isset($run['proofs'][(int) $image]) ? (string) $run['proofs'][(int) $image] : '';
    }

    /** Pass as $image to stream() for the run's thumbnail. */
    public const THUMBNAIL = 'thumbnail';

    /**
     * Stream a run's output, or one of its images (a proof by index, or its thumbnail), to the
     * browser. The secret key and printgate's signed URLs are used here, server-side, and never
     * sent to the browser.
     *
     * @param array<string,mixed> $job a normalized job (see job())
     * @param array<string,mixed> $run one of its runs
     * @param int|string|null $proofIndex null: the output; an int: that proof; self::THUMBNAIL
     * @return bool false when there is nothing to send or printgate refused before any byte was sent
     */
    public static function stream(PrintgateApiClient $client, array $job, array $run, $proofIndex = null)
    {
        $inline = $proofIndex !== null;
        $imageUrl = $inline ? self::imageUrl($run, $proofIndex) : '';
        $label = $imageUrl !== '' ? $imageUrl : $run['name'];
        $started = false;
        $sink = function ($chunk, $headers = array()) use (&$started, $label, $inline) {
            if (!$started) {
                $started = true;
                $type = is_array($headers) && isset($headers['content-type']) ? (string) $headers['content-type'] : '';
                PrintgateFilesView::sendHeaders($label, $inline, $type);
            }
            echo $chunk;
            flush();
        };
        try {
            if ($inline) {
                if ($imageUrl === '') {
                    return false;
                }
                $client->streamUrl($imageUrl, $sink);
            } elseif (strpos($run['id'], '#') !== 0) {
                $client->streamRunOutput($job['jobId'], $run['id'], $sink);
            } elseif ($run['downloadUrl'] !== '') {
                $client->streamUrl($run['downloadUrl'], $sink);
            } else {
                return false;
            }
        } catch (PrintgateApiException $e) {
            return $started;
        }
        if (!$started) {
            self::sendHeaders($label, $inline);
        }

        return true;
    }

    /** File types by extension, for files whose origin did not name a specific one. */
    public const TYPES = array(
        'pdf' => 'application/pdf', 'png' => 'image/png', 'jpg' => 'image/jpeg', 'jpeg' => 'image/jpeg',
        'webp' => 'image/webp', 'gif' => 'image/gif', 'tif' => 'image/tiff', 'tiff' => 'image/tiff',
        'svg' => 'image/svg+xml', 'eps' => 'application/postscript', 'ps' => 'application/postscript',
        'zip' => 'application/zip', 'json' => 'application/json', 'txt' => 'text/plain',
    );

    /**
     * The Content-Type to send: the origin's, unless it is missing or generic, else the one the
     * file name's extension names; application/octet-stream only when neither tells.
     */
    public static function contentType($name, $origin = '')
    {
        $origin = strtolower(trim((string) $origin));
        $bare = trim(explode(';', $origin)[0]);
        if ($bare !== '' && $bare !== 'application/octet-stream' && preg_match('#^[a-z0-9.+-]+/[a-z0-9.+-]+$#', $bare)) {
            return $origin;
        }
        $ext = strtolower(pathinfo((string) parse_url((string) $name, PHP_URL_PATH), PATHINFO_EXTENSION));

        return isset(self::TYPES[$ext]) ? self::TYPES[$ext] : 'application/octet-stream';
    }

    /**
     * @param string $name the file name, or for an inline proof its URL
     * @param string $type the origin's Content-Type, when it sent one
     */
    public static function sendHeaders($name, $inline, $type = '')
    {
        while (ob_get_level() > 0) {
            ob_end_clean();
        }
        header('X-Content-Type-Options: nosniff');
        header('Cache-Control: private, no-store');
        if ($inline) {
            $type = self::contentType($name, $type);
            header('Content-Type: ' . (strpos($type, 'image/') === 0 ? $type : 'image/png'));
            header('Content-Disposition: inline');
        } else {
            header('Content-Type: ' . self::contentType($name, $type));
            header('Content-Disposition: attachment; filename="' . self::safeFileName($name) . '"');
        }
    }
}
