<?php

// Sample stand-in for the framework's global helpers.
if (! function_exists('public_path')) {
    function public_path(string $path = ''): string
    {
        return dirname(__DIR__, 6) . '/public/' . $path;
    }
}
