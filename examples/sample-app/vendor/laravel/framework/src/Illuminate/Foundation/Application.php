<?php

namespace Illuminate\Foundation;

// Sample stand-in for the framework's application container.
class Application
{
    const VERSION = '10.48.3';

    public function __construct(protected string $basePath)
    {
    }
}
