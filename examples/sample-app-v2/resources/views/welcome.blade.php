<!DOCTYPE html>
<html lang="en">
<head>
    <meta charset="utf-8">
    <title>{{ config('app.name') }}</title>
    <link rel="stylesheet" href="/css/app.css">
</head>
<body>
    <h1>{{ config('app.name') }} <small>v{{ $version }}</small></h1>
    <script src="/js/app.js"></script>
</body>
</html>
