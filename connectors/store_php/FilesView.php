<?php
/**
 * One shape for "this line's files" on the admin order page, whether it comes live from
 * GET /jobs/{id}?expand=runs or from a stored callback: {jobId, status, outcome, canProceed,
 * runs:[{id, name, status, outcome, hasOutput, downloadUrl, proofs:[url]}]}.
 * URLs stay server-side: templates only get proxy links built from jobId, run id and proof index.
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
                $download = isset($run['downloadUrl']) && is_string($run['downloadUrl']) ? $run['downloadUrl'] : '';
                $runs[] = array(
                    'id' => isset($run['id']) ? (string) $run['id'] : '#' . $index,
                    'name' => isset($run['name']) ? (string) $run['name'] : 'file-' . ($index + 1),
                    'status' => isset($run['status']) ? (string) $run['status'] : '',
                    'outcome' => isset($run['outcome']) ? (string) $run['outcome'] : '',
                    'hasOutput' => isset($run['hasOutput']) ? (bool) $run['hasOutput'] : $download !== '',
                    'downloadUrl' => $download,
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
}
