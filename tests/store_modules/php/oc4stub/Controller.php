<?php
/** OpenCart 4's namespaced Controller base, for the printgate OC 4 controllers under test. */

namespace Opencart\System\Engine;

abstract class Controller
{
    protected $registry;

    public function __construct($registry)
    {
        $this->registry = $registry;
    }

    public function __get(string $key)
    {
        return $this->registry->get($key);
    }

    public function __set(string $key, $value)
    {
        $this->registry->set($key, $value);
    }
}
